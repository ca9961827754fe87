"""Recording disclosure (IRDAI): detected from the seller's words, flagged per agency setting."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from meetings import job_services
from meetings.disclosure import recording_disclosure, sentence_discloses_recording
from meetings.models import Job, JobStatus
from meetings.tests.meeting_factories import make_meeting, transcript
from sellers.models import Role

DISCLOSED = [
    "This call is being recorded.",
    "Calls are recorded for quality and training purposes.",
    "Please note, our conversation will be recorded.",
    "Sir, just to inform you, this call is recorded for training and quality purpose.",
    "This call may be monitored or recorded for quality assurance.",
    "For quality purpose, this line is recorded.",
    "Kindly note that the call is getting recorded.",
    "Before we begin, this call is being recordid for quality.",  # speech recognition's spelling
    "Yeh call record ho rahi hai.",
    "Aapki call record ki ja rahi hai, theek hai?",
    "यह कॉल रिकॉर्ड की जा रही है।",
    "Madam, for the client's safety, all calls are recorded.",
]
NOT_DISCLOSED = [
    "Are you recording this call?",
    "Is this call recorded?",
    "This call is not being recorded.",
    "We don't record calls.",
    "I will send you the policy record by email.",
    "The premium is twelve thousand a year.",
    "I have recorded your nominee details.",
]


@pytest.mark.parametrize("sentence", DISCLOSED)
def test_phrasings_that_disclose(sentence):
    assert sentence_discloses_recording(sentence)


@pytest.mark.parametrize("sentence", NOT_DISCLOSED)
def test_phrasings_that_do_not(sentence):
    assert not sentence_discloses_recording(sentence)


def test_only_the_seller_counts_when_roles_are_known():
    segments = transcript(
        ("seller", "Hello, I am calling from SecureLife."),
        ("buyer", "Okay, this call is being recorded on my side."),
    )
    assert recording_disclosure(segments)["disclosed"] is False
    segments.append({**segments[0], "text": "Also, this call is recorded for quality.", "start": 9})
    found = recording_disclosure(segments)
    assert found["disclosed"] is True and found["at"] == 9


def test_without_roles_any_speaker_but_a_buyer_counts():
    segments = transcript(("unknown", "Good morning. This call is recorded for training."))
    assert recording_disclosure(segments)["disclosed"] is True
    assert recording_disclosure([])["disclosed"] is None


@pytest.fixture
def insurer(agency):
    agency.settings = {"recording_disclosure_required": True}
    agency.save()
    return agency


def _meeting(seller, *lines, **fields):
    fields.setdefault("direction", "outgoing")
    return make_meeting(
        seller,
        start=timezone.now() - timedelta(hours=1),
        transcription=transcript(*lines),
        **fields,
    )


@pytest.mark.django_db
class TestStoredAndShown:
    def test_a_completed_job_stores_whether_it_was_disclosed(self, seller, monkeypatch):
        meeting = _meeting(seller)
        job = baker.make(Job, meeting=meeting, status=JobStatus.IN_PROGRESS, attempts=1)
        said = transcript(("seller", "Namaste, this call is recorded for quality purposes."))
        # This test is about the transcript; the analysis is the analysers' tests' business.
        monkeypatch.setattr(job_services, "meeting_apply_analysis", lambda **kwargs: None)
        assert job_services.job_complete_with_results(
            job=job, attempt=1, transcription=said, analysis={}
        )
        meeting.refresh_from_db()
        assert meeting.recording_disclosed is True

    def test_an_external_worker_s_transcript_is_checked_too(self, seller):
        meeting = _meeting(seller)
        job = baker.make(Job, meeting=meeting)
        job_services.job_set_transcription(
            job=job, transcription=transcript(("seller", "Hi, about your policy."))
        )
        meeting.refresh_from_db()
        assert meeting.recording_disclosed is False

    def test_call_data_flags_it_where_the_agency_requires_it(self, insurer, seller, client_for):
        meeting = _meeting(seller, ("seller", "Hi"), recording_disclosed=False)
        body = client_for(seller).get(f"/api/meetings/call_data/{meeting.pk}").json()
        assert body["recording_disclosure"] == {
            "disclosed": False,
            "required": True,
            "missing": True,
        }

    def test_call_data_does_not_flag_where_it_is_not_required(self, seller, client_for):
        meeting = _meeting(seller, ("seller", "Hi"), recording_disclosed=False)
        body = client_for(seller).get(f"/api/meetings/call_data/{meeting.pk}").json()
        assert body["recording_disclosure"] == {
            "disclosed": False,
            "required": False,
            "missing": False,
        }

    def test_analytics_count_the_calls_without_it(self, insurer, seller, client_for):
        _meeting(seller, recording_disclosed=False)
        _meeting(seller, recording_disclosed=True)
        _meeting(seller, recording_disclosed=None)
        body = (
            client_for(seller).get("/api/analytics/total_call_data", {"time_frame": "today"}).json()
        )
        assert body["total_data"]["calls_without_recording_disclosure"] == 1
        assert body["total_data"]["total_calls"] == 3

    def test_the_admin_shows_and_filters_missing_disclosures(
        self, insurer, seller, other_agency, make_seller, staff_client
    ):
        missing = _meeting(seller, title="Flagged call", recording_disclosed=False)
        _meeting(seller, title="Disclosed call", recording_disclosed=True)
        elsewhere = make_seller(other_agency)
        _meeting(elsewhere, title="Not required call", recording_disclosed=False)
        url = reverse("admin:meetings_meeting_changelist")
        response = staff_client.get(url, {"recording_disclosure": "missing"})
        assert [m.pk for m in response.context["cl"].result_list] == [missing.pk]
        assert "MISSING" in response.content.decode()


@pytest.mark.django_db
class TestGuestsAndAnswers:
    def test_a_guest_cannot_ask_for_answers_by_default(self, agency, make_seller, client_for):
        guest = make_seller(agency, role=Role.GUEST)
        response = client_for(guest).post("/api/search/answer", {"query": "how many calls?"})
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"

    def test_a_guest_may_where_the_agency_allows_it(self, agency, make_seller, client_for):
        agency.settings = {"guests_can_search_answer": True}
        agency.save()
        guest = make_seller(agency, role=Role.GUEST)
        response = client_for(guest).post("/api/search/answer", {"query": "how many calls?"})
        assert response.status_code == 200

    def test_sellers_are_not_affected(self, seller, client_for):
        response = client_for(seller).post("/api/search/answer", {"query": "how many calls?"})
        assert response.status_code == 200
