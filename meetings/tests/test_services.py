"""Job transitions and analysis persistence: actions in place, performance, buyer profile."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from celery import current_app
from model_bakery import baker

from actions.models import Action, ActionStatus, ActionType
from chirpworks.exceptions import ApplicationError, ConflictError
from meetings import analysis_services, job_services, performance_services
from meetings.analysis_services import parse_due_date
from meetings.models import PERFORMANCE_METRICS, CallPerformance, Job, JobStatus

pytestmark = pytest.mark.django_db


def analysis(**overrides):
    base = {
        "call_title": "Term Shield quote for Arjun",
        "call_summary": {
            "bullets": ["Asked about Term Shield"],
            "key_discussion_points": ["Premium"],
        },
        "call_type": "sales_call",
        "detected_call_type": "sales_call",
        "detected_products": [
            {
                "product_id": None,
                "product_name": "Term Shield",
                "features": [],
                "mentions": 2,
                "interest_level": "high",
            }
        ],
        "qa_pairs": [{"question": "What is the premium?", "answer": "About 12000 a year"}],
        "facts": [{"subject": "Arjun", "predicate": "wants", "object": "one crore cover"}],
        "deal_stage": {
            "deal_stage": "Discovery & Lead Qualification",
            "stage_signals": [],
            "stage_reasoning": [],
        },
        "risks": [{"risk": "price", "risk_signal": "costs more", "risk_reasoning": "compares"}],
        "actions": [
            {
                "action_name": "Email both quotes",
                "due_date": "2026-11-11T18:00:00+05:30",
                "description": "With and without rider",
                "reasoning": "Promised",
                "signals": ["s"],
            },
            {
                "action_name": "Call back",
                "due_date": "2026-11-12T10:00:00",
                "description": "",
                "reasoning": "",
                "signals": [],
            },
        ],
        "suggested_actions": [
            {
                "action_name": "Share rider brochure",
                "due_date": None,
                "description": "",
                "reasoning": "Interest in rider",
                "signals": [],
            },
        ],
        "sentiment": {"overall": 0.3, "label": "positive", "seller": 0.2, "buyer": 0.4},
        "talk_ratio": {"seller": 0.6, "buyer": 0.4},
        "longest_monologue": {"role": "seller", "seconds": 8.5},
        "speaker_roles": {"Speaker 1": "seller"},
        "performance": {
            **{m: {"score": 6, "reason": "ok"} for m in PERFORMANCE_METRICS},
            "intro": {"score": 10, "reason": "Named self and company"},
            "product_details_analysis": {"covered": ["Term Shield"]},
            "objection_handling_analysis": {},
            "overall_performance_summary": {"summary": "fine"},
        },
        "buyer_profile": {
            "risks": [{"risk": "price", "risk_signal": "costs more", "risk_reasoning": "r"}],
            "products_discussed": [
                {"product_name": "Term Shield", "product_id": None, "interest_level": "high"}
            ],
            "key_highlights": ["Wants one crore cover"],
        },
        "provider": "offline",
    }
    base.update(overrides)
    return base


@pytest.fixture
def meeting(make_meeting):
    return make_meeting(recording=None)


# --- Job lifecycle -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (JobStatus.INIT, JobStatus.IN_PROGRESS, True),
        (JobStatus.INIT, JobStatus.FAILURE, True),
        (JobStatus.INIT, JobStatus.COMPLETED, False),
        (JobStatus.IN_PROGRESS, JobStatus.COMPLETED, True),
        (JobStatus.IN_PROGRESS, JobStatus.FAILURE, True),
        (JobStatus.COMPLETED, JobStatus.IN_PROGRESS, False),
        (JobStatus.COMPLETED, JobStatus.FAILURE, False),
        (JobStatus.COMPLETED, JobStatus.INIT, False),
        (JobStatus.FAILURE, JobStatus.COMPLETED, False),
        (JobStatus.FAILURE, JobStatus.INIT, True),
    ],
)
def test_job_transitions(meeting, start, target, allowed):
    job = baker.make(Job, meeting=meeting, status=start)
    if allowed:
        assert job_services.job_transition(job=job, status=target).status == target
    else:
        with pytest.raises(ConflictError, match=f"from {start} to {target}"):
            job_services.job_transition(job=job, status=target)
        job.refresh_from_db()
        assert job.status == start


def test_job_times_attempts_and_error(meeting):
    job = baker.make(Job, meeting=meeting)
    job = job_services.job_transition(job=job, status=JobStatus.IN_PROGRESS)
    assert job.attempts == 1 and job.started_at and job.finished_at is None
    job = job_services.job_transition(job=job, status=JobStatus.FAILURE, error="Decoder said no")
    assert job.finished_at >= job.started_at and job.error == "Decoder said no"
    job = job_services.job_transition(job=job, status=JobStatus.IN_PROGRESS)
    assert job.attempts == 2 and job.error == "" and job.finished_at is None


def test_job_create_enqueues_once(meeting, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    process_job = current_app.tasks["meetings.tasks.process_job"]  # the pipeline's, by name
    monkeypatch.setattr(process_job, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_services.job_create_for_meeting(meeting=meeting)
        again = job_services.job_create_for_meeting(meeting=meeting)
    assert job.pk == again.pk and Job.objects.count() == 1
    assert queued == [str(job.pk), str(job.pk)]  # an init job may be queued again: idempotent


# --- Analysis persistence ------------------------------------------------------------------------


def test_apply_analysis_persists_everything(meeting):
    analysis_services.meeting_apply_analysis(meeting=meeting, analysis=analysis())

    meeting.refresh_from_db()
    assert meeting.title == "Term Shield quote for Arjun"
    assert meeting.summary == ["Asked about Term Shield"]
    assert meeting.key_discussion_points == ["Premium"]
    assert meeting.type == "sales_call" and meeting.detected_call_type == "sales_call"
    assert meeting.detected_products[0]["product_name"] == "Term Shield"
    assert meeting.qa_pairs and meeting.facts and meeting.risks
    assert meeting.deal_stage["deal_stage"] == "Discovery & Lead Qualification"
    assert meeting.analysis_extras == {
        "sentiment": {"overall": 0.3, "label": "positive", "seller": 0.2, "buyer": 0.4},
        "talk_ratio": {"seller": 0.6, "buyer": 0.4},
        "longest_monologue": {"role": "seller", "seconds": 8.5},
        "speaker_roles": {"Speaker 1": "seller"},
        "provider": "offline",
    }

    actions = {a.title: a for a in Action.objects.filter(meeting=meeting)}
    assert set(actions) == {"Email both quotes", "Call back", "Share rider brochure"}
    assert actions["Share rider brochure"].type == ActionType.SUGGESTED_ACTION
    assert actions["Email both quotes"].type == ActionType.ACTION
    assert actions["Email both quotes"].due_date == datetime(2026, 11, 11, 12, 30, tzinfo=UTC)
    # A naive due date from a provider is in the agency's timezone.
    assert actions["Call back"].due_date == datetime(
        2026, 11, 12, 10, 0, tzinfo=ZoneInfo(meeting.agency.timezone)
    )
    assert actions["Email both quotes"].description == {"text": "With and without rider"}
    assert all(
        a.seller_id == meeting.seller_id and a.buyer_id == meeting.buyer_id
        for a in actions.values()
    )

    performance = CallPerformance.objects.get(meeting=meeting)
    assert performance.intro == {"score": 10, "reason": "Named self and company"}
    assert performance.overall_score == pytest.approx((10 + 6 * 7) / 8, abs=0.01)
    assert performance.product_details_analysis == {"covered": ["Term Shield"]}

    buyer = meeting.buyer
    buyer.refresh_from_db()
    assert buyer.key_highlights == ["Wants one crore cover"]
    assert buyer.risks[0]["risk"] == "price" and buyer.risks[0]["meeting_id"] == str(meeting.pk)
    assert buyer.products_discussed[0]["interest_level"] == "high"


def test_reanalysis_updates_actions_in_place_and_keeps_completed(meeting):
    analysis_services.meeting_apply_analysis(meeting=meeting, analysis=analysis())
    before = {a.title: a for a in Action.objects.filter(meeting=meeting)}
    Action.objects.filter(pk=before["Call back"].pk).update(status=ActionStatus.COMPLETED)

    second = analysis(
        actions=[
            {
                "action_name": "email BOTH  quotes",
                "due_date": "2026-11-13T09:00:00+05:30",
                "description": "Updated",
                "reasoning": "",
                "signals": [],
            },
            {
                "action_name": "Book medical test",
                "due_date": None,
                "description": "",
                "reasoning": "",
                "signals": [],
            },
        ],
        suggested_actions=[],
        performance={"intro": {"score": 4, "reason": "Rushed"}},
    )
    analysis_services.meeting_apply_analysis(meeting=meeting, analysis=second)

    after = {a.title: a for a in Action.objects.filter(meeting=meeting)}
    # Same title (case/space-insensitive): same row, same id, new details.
    assert after["Email both quotes"].pk == before["Email both quotes"].pk
    assert after["Email both quotes"].description == {"text": "Updated"}
    assert after["Email both quotes"].due_date == datetime(2026, 11, 13, 3, 30, tzinfo=UTC)
    # Completed and no longer proposed: kept, still completed.
    assert after["Call back"].pk == before["Call back"].pk
    assert after["Call back"].status == ActionStatus.COMPLETED
    # Pending and no longer proposed: removed. New: created pending.
    assert "Share rider brochure" not in after
    assert after["Book medical test"].status == ActionStatus.PENDING
    assert CallPerformance.objects.filter(meeting=meeting).count() == 1
    assert CallPerformance.objects.get(meeting=meeting).intro["score"] == 4

    meeting.buyer.refresh_from_db()
    assert len(meeting.buyer.risks) == 1  # the meeting's own entries replaced, not appended


def test_reanalysis_keeps_a_completed_action_when_proposed_again(meeting):
    analysis_services.meeting_apply_analysis(meeting=meeting, analysis=analysis())
    action = Action.objects.get(meeting=meeting, title="Email both quotes")
    action.status = ActionStatus.COMPLETED
    action.save()

    analysis_services.meeting_apply_analysis(meeting=meeting, analysis=analysis())

    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETED
    assert Action.objects.filter(meeting=meeting).count() == 3


def test_buyer_profile_merges_meetings(make_meeting):
    first = make_meeting(recording=None)
    second = make_meeting(recording=None, buyer=first.buyer)
    analysis_services.meeting_apply_analysis(meeting=first, analysis=analysis())
    analysis_services.meeting_apply_analysis(
        meeting=second,
        analysis=analysis(
            buyer_profile={
                "risks": [{"risk": "timing", "risk_signal": "next year", "risk_reasoning": ""}],
                "products_discussed": [
                    {"product_name": "Term Shield", "product_id": None, "interest_level": "low"}
                ],
                "key_highlights": ["Will decide next year"],
            }
        ),
    )
    buyer = first.buyer
    buyer.refresh_from_db()
    assert [r["risk"] for r in buyer.risks] == ["timing", "price"]
    assert [(p["product_name"], p["interest_level"]) for p in buyer.products_discussed] == [
        ("Term Shield", "low")
    ]
    assert buyer.key_highlights == ["Will decide next year", "Wants one crore cover"]


def test_performance_overall_is_the_mean_of_present_metrics(meeting):
    performance, created = performance_services.call_performance_upsert(
        meeting=meeting,
        data={"intro": {"score": 8}, "rapport_building": {"score": 5, "reason": "ok"}},
        overall_score=1.0,
    )
    assert created and performance.overall_score == 6.5
    performance, created = performance_services.call_performance_upsert(
        meeting=meeting, data={"closure_and_next_steps": {"score": 2}}
    )
    assert not created and performance.overall_score == 5.0
    with pytest.raises(ApplicationError):
        performance_services.call_performance_upsert(meeting=meeting, data={"intro": {"score": 11}})


def test_unparseable_due_dates_are_dropped(meeting):
    analysis_services.meeting_apply_analysis(
        meeting=meeting,
        analysis=analysis(
            actions=[{"action_name": "Follow up", "due_date": "Not Specified"}],
            suggested_actions=[],
        ),
    )
    assert Action.objects.get(meeting=meeting).due_date is None


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31T23:59:59-05:00", "Not Specified"])
def test_a_due_date_outside_the_supported_years_is_no_due_date(value):
    assert parse_due_date(value, naive_tz=ZoneInfo("Asia/Kolkata")) is None


def test_a_due_date_within_them_is_kept():
    due = parse_due_date("2025-03-12T18:00:00", naive_tz=ZoneInfo("Asia/Kolkata"))
    assert due == datetime(2025, 3, 12, 18, tzinfo=ZoneInfo("Asia/Kolkata"))
