"""The ops console for meetings, jobs and performance: pages, actions through the admin's own views,
and change lists that cost the same number of queries for 2,000 rows as for a few."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from agencies.models import Buyer
from meetings.models import CallPerformance, Job, JobStatus, Meeting
from meetings.services import NO_RECORDING_ERROR
from meetings.tests.factories import make_action, make_meeting, make_performance

pytestmark = pytest.mark.django_db

ROWS = 2_000
TRANSCRIPT = [
    {"speaker": "Speaker 1", "role": "seller", "text": "Hello, this is Sam.", "start": 0.4},
    {"speaker": "Speaker 2", "role": "buyer", "text": "<b>Term Shield</b> cheap?", "start": 65.2},
]


@pytest.fixture
def recorded(monkeypatch) -> dict[str, list[str]]:
    """Ids sent to the pipeline's tasks (running them would transcribe and analyse for real)."""
    from celery import current_app  # the pipeline's tasks, by name: it sits above meetings

    process_job = current_app.tasks["meetings.tasks.process_job"]
    analyse_job = current_app.tasks["meetings.tasks.analyse_job"]

    sent: dict[str, list[str]] = {"process_job": [], "analyse_job": []}
    monkeypatch.setattr(process_job, "delay", lambda job_id: sent["process_job"].append(job_id))
    monkeypatch.setattr(analyse_job, "delay", lambda job_id: sent["analyse_job"].append(job_id))
    return sent


@pytest.fixture
def many_meetings(agency, seller) -> None:
    """2,000 meetings, each with a transcript, a job, a performance and an action (bulk)."""
    start = timezone.now() - timedelta(days=3)
    buyers = Buyer.objects.bulk_create(
        Buyer(agency=agency, phone=f"+91970{i:07d}", name=f"Buyer {i}") for i in range(200)
    )
    meetings = Meeting.objects.bulk_create(
        Meeting(
            agency=agency,
            seller=seller,
            buyer=buyers[i % len(buyers)],
            title=f"Meeting {i}",
            start_time=start + timedelta(minutes=i),
            end_time=start + timedelta(minutes=i, seconds=90),
            transcription=TRANSCRIPT,
            summary=["A bullet"],
        )
        for i in range(ROWS)
    )
    statuses = list(JobStatus)
    Job.objects.bulk_create(
        Job(meeting=m, status=statuses[i % 4], error="boom" if i % 4 == 3 else "")
        for i, m in enumerate(meetings)
    )
    CallPerformance.objects.bulk_create(
        CallPerformance(meeting=m, overall_score=7.5, intro={"score": 7}, analyzed_at=start)
        for m in meetings
    )
    Action.objects.bulk_create(
        Action(meeting=m, seller=seller, buyer=m.buyer, title="Send the brochure", due_date=start)
        for m in meetings
    )


def _post_action(client: Client, changelist: str, action: str, ids) -> str:
    response = client.post(
        reverse(changelist),
        {"action": action, "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


class TestChangeListsAtScale:
    @pytest.mark.parametrize(
        ("name", "params"),
        [
            ("meetings_meeting", {}),
            ("meetings_meeting", {"job_status": "failure", "transcript": "yes"}),
            ("meetings_meeting", {"q": "Buyer 1"}),
            ("meetings_meeting", {"o": "-7"}),  # ordered by the performance score
            ("meetings_job", {}),
            ("meetings_job", {"status__exact": "failure", "has_error": "yes"}),
            ("meetings_callperformance", {}),
        ],
    )
    def test_no_query_per_row(
        self, staff_client, many_meetings, name, params, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(12):
            response = staff_client.get(reverse(f"admin:{name}_changelist"), params)
        assert response.status_code == 200
        changelist = response.context["cl"]
        assert changelist.result_count > 0
        assert len(changelist.result_list) == min(changelist.result_count, 100)
        assert changelist.full_result_count >= ROWS

    def test_the_job_list_shows_status_agency_and_a_short_error(self, staff_client, many_meetings):
        response = staff_client.get(reverse("admin:meetings_job_changelist"), {"has_error": "yes"})
        assert response.context["cl"].result_count == ROWS // 4
        content = response.content.decode()
        assert "Acme Realty" in content and "boom" in content and "failure" in content


class TestPages:
    def test_meeting_page_shows_transcript_analysis_job_actions_and_performance(
        self, staff_client, seller
    ):
        meeting = make_meeting(
            seller,
            start=timezone.now(),
            transcription=TRANSCRIPT,
            risks=[{"risk": "Price <script>"}],
            job_status=JobStatus.COMPLETED,
        )
        make_action(meeting, title="Call back on <Monday>")
        make_performance(meeting, intro=8, rapport_building=6)
        response = staff_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
        assert response.status_code == 200
        content = response.content.decode()
        assert "[00:00] Speaker 1 (seller): Hello, this is Sam." in content
        # Stored text is escaped, never rendered as markup.
        assert "[01:05] Speaker 2 (buyer): &lt;b&gt;Term Shield&lt;/b&gt; cheap?" in content
        assert "<td>Price &lt;script&gt;</td>" in content
        assert "<script>" not in content.split("</head>")[1].replace("<script src", "")
        assert "Call back on &lt;Monday&gt;" in content
        assert "rapport building" in content and "rapport_building reason" in content
        assert "completed" in content  # the job inline

    def test_meeting_title_is_editable_and_the_rest_is_not(self, staff_client, seller, agency):
        meeting = make_meeting(seller, start=timezone.now())
        form = (
            staff_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
            .context["adminform"]
            .form
        )
        assert list(form.fields) == ["title"]

    @pytest.mark.parametrize(
        "name", ["meetings_job", "meetings_callperformance", "actions_action", "meetings_meeting"]
    )
    def test_change_pages_load(self, staff_client, seller, name):
        meeting = make_meeting(seller, start=timezone.now(), transcription=TRANSCRIPT)
        performance = make_performance(meeting, intro=5)
        action = make_action(meeting)
        pk = {
            "meetings_job": meeting.job.pk,
            "meetings_callperformance": performance.pk,
            "actions_action": action.pk,
            "meetings_meeting": meeting.pk,
        }[name]
        response = staff_client.get(reverse(f"admin:{name}_change", args=[pk]))
        assert response.status_code == 200
        assert (
            reverse("admin:meetings_meeting_change", args=[meeting.pk])
            in (response.content.decode())
            or name == "meetings_meeting"
        )

    def test_a_job_is_found_by_its_own_or_its_meetings_id(self, staff_client, seller):
        meeting = make_meeting(seller, start=timezone.now())
        make_meeting(seller, start=timezone.now())
        for term in (str(meeting.job.pk), str(meeting.pk)):
            response = staff_client.get(reverse("admin:meetings_job_changelist"), {"q": term})
            assert list(response.context["cl"].result_list) == [meeting.job]
        response = staff_client.get(
            reverse("admin:meetings_meeting_changelist"), {"q": str(meeting.job.pk)}
        )
        assert list(response.context["cl"].result_list) == [meeting]
        response = staff_client.get(
            reverse("admin:meetings_job_changelist"), {"q": str(uuid.uuid4())}
        )
        assert response.context["cl"].result_count == 0

    def test_jobs_cannot_be_added_or_edited_by_hand(self, staff_client, seller):
        meeting = make_meeting(seller, start=timezone.now(), job_status=JobStatus.FAILURE)
        assert staff_client.get(reverse("admin:meetings_job_add")).status_code == 403
        form = (
            staff_client.get(reverse("admin:meetings_job_change", args=[meeting.job.pk]))
            .context["adminform"]
            .form
        )
        assert list(form.fields) == []


class TestRetryJobs:
    def test_failed_jobs_go_back_to_init_and_are_queued_on_commit(
        self, staff_client, seller, recorded, django_capture_on_commit_callbacks
    ):
        failed = make_meeting(
            seller, start=timezone.now(), job_status=JobStatus.FAILURE, recording="r/a.ogg"
        ).job
        Job.objects.filter(pk=failed.pk).update(error="Storage unavailable", attempts=3)
        waiting = make_meeting(seller, start=timezone.now(), job_status=JobStatus.INIT).job
        done = make_meeting(seller, start=timezone.now(), job_status=JobStatus.COMPLETED).job
        no_audio = make_meeting(seller, start=timezone.now(), job_status=JobStatus.FAILURE).job
        Job.objects.filter(pk=no_audio.pk).update(error=NO_RECORDING_ERROR)

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            content = _post_action(
                staff_client,
                "admin:meetings_job_changelist",
                "retry",
                [failed.pk, waiting.pk, done.pk, no_audio.pk],
            )
        assert len(callbacks) == 1
        assert "1 failed job(s) queued again, 1 waiting job(s) re-sent" in content
        assert "skipped 1 with no recording and 1 in progress or completed" in content
        assert sorted(recorded["process_job"]) == sorted([str(failed.pk), str(waiting.pk)])
        failed.refresh_from_db()
        assert failed.status == JobStatus.INIT and failed.finished_at is None
        assert failed.error == "Retried by ops after: Storage unavailable"
        assert failed.attempts == 3  # the history stays; a worker's claim counts the next one
        assert Job.objects.get(pk=no_audio.pk).status == JobStatus.FAILURE
        assert Job.objects.get(pk=done.pk).status == JobStatus.COMPLETED

    def test_nothing_is_queued_when_the_transaction_does_not_commit(
        self, staff_client, seller, recorded
    ):
        failed = make_meeting(
            seller, start=timezone.now(), job_status=JobStatus.FAILURE, recording="r/a.ogg"
        ).job
        _post_action(staff_client, "admin:meetings_job_changelist", "retry", [failed.pk])
        # The test transaction never commits, so the on-commit enqueue never ran.
        assert recorded["process_job"] == []
        assert Job.objects.get(pk=failed.pk).status == JobStatus.INIT

    def test_retry_from_the_meeting_list(
        self, staff_client, seller, recorded, django_capture_on_commit_callbacks
    ):
        meeting = make_meeting(
            seller, start=timezone.now(), job_status=JobStatus.FAILURE, recording="r/a.ogg"
        )
        with django_capture_on_commit_callbacks(execute=True):
            content = _post_action(
                staff_client, "admin:meetings_meeting_changelist", "retry_processing", [meeting.pk]
            )
        assert "1 failed job(s) queued again" in content
        assert recorded["process_job"] == [str(meeting.job.pk)]


class TestReanalyse:
    def test_meetings_with_a_transcript_are_queued_and_the_others_reported(
        self, staff_client, seller, recorded, django_capture_on_commit_callbacks
    ):
        ready = make_meeting(seller, start=timezone.now(), transcription=TRANSCRIPT)
        silent = make_meeting(seller, start=timezone.now())
        failed = make_meeting(
            seller, start=timezone.now(), transcription=TRANSCRIPT, job_status=JobStatus.FAILURE
        )
        jobless = make_meeting(
            seller, start=timezone.now(), transcription=TRANSCRIPT, job_status=None
        )
        with django_capture_on_commit_callbacks(execute=True):
            content = _post_action(
                staff_client,
                "admin:meetings_meeting_changelist",
                "reanalyse",
                [ready.pk, silent.pk, failed.pk, jobless.pk],
            )
        assert recorded["analyse_job"] == [str(ready.job.pk)]
        assert "Re-analysis queued for 1 meeting(s)." in content
        assert "Skipped 1 without a transcript and 2 whose job is not completed" in content
        for skipped in (silent, failed, jobless):
            assert str(skipped.pk) in content

    def test_the_queued_analysis_really_runs(
        self, staff_client, seller, django_capture_on_commit_callbacks
    ):
        # Celery is eager in tests: the offline analyser re-analyses the stored transcript.
        meeting = make_meeting(seller, start=timezone.now(), transcription=TRANSCRIPT)
        with django_capture_on_commit_callbacks(execute=True):
            _post_action(
                staff_client, "admin:meetings_job_changelist", "reanalyse", [meeting.job.pk]
            )
        meeting.refresh_from_db()
        assert meeting.analysis_extras.get("provider")
        assert meeting.summary and meeting.title != f"Meeting between {meeting.buyer.phone}"
        assert CallPerformance.objects.filter(meeting=meeting).exists()
