"""One analysis schema at both doors: what a provider returns and what a worker PUTs."""

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from actions.models import Action
from meetings.models import Job, JobStatus
from pipeline import processing
from pipeline.analysis import _provider as provider_cache
from pipeline.analysis import get_analysis_provider
from pipeline.analysis.offline import OfflineAnalyser
from pipeline.analysis.schema import validate_analysis_update
from pipeline.providers import provider_path
from pipeline.tests.conftest import WORKER_TOKEN

pytestmark = pytest.mark.django_db

TRANSCRIPT = [
    {"speaker": "Speaker 1", "role": "seller", "text": "Hello, about Term Shield.", "start": 0.0},
    {"speaker": "Speaker 2", "role": "buyer", "text": "How much is it?", "start": 3.0},
]


class InvalidProvider:
    """A provider that skips the schema: its deal stage is not one of the stages."""

    name = "invalid"

    def analyse(self, *, segments, context):
        return {**OfflineAnalyser().analyse(segments=segments, context=context), "deal_stage": "?"}


@pytest.fixture
def provider(settings):
    provider_cache.cache_clear()
    yield settings
    provider_cache.cache_clear()


@pytest.fixture
def worker(worker_token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {WORKER_TOKEN}")
    return client


def test_a_provider_s_invalid_analysis_fails_the_job_and_writes_nothing(provider, make_meeting):
    provider.ANALYSIS_PROVIDER = f"{__name__}.InvalidProvider"
    meeting = make_meeting(None, transcription=TRANSCRIPT)
    job = baker.make(Job, meeting=meeting, status=JobStatus.COMPLETED)

    assert processing.job_reanalyse(job_id=str(job.pk)) == "failed"

    meeting.refresh_from_db()
    assert meeting.title == "Call" and meeting.deal_stage is None


def test_a_provider_s_analysis_is_validated_by_the_one_schema(provider, make_meeting):
    meeting = make_meeting(None, transcription=TRANSCRIPT)
    job = baker.make(Job, meeting=meeting, status=JobStatus.IN_PROGRESS)
    provider.ANALYSIS_PROVIDER = f"{__name__}.InvalidProvider"
    with pytest.raises(processing.PermanentJobError, match="deal_stage"):
        processing.job_analyse(job=job, segments=TRANSCRIPT)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"deal_stage": {"deal_stage": "Almost there"}}, "deal_stage.deal_stage"),
        ({"detected_products": [{"product_name": "P", "interest_level": "huge"}]}, "interest"),
        ({"detected_products": [{"features": ["no name"]}]}, "detected_products.0.product_name"),
        ({"risks": [{"risk": "weather", "risk_signal": "It may rain"}]}, "risks.0.risk"),
        ({"call_summary": {"summary": "no bullets"}}, "call_summary.bullets"),
    ],
)
def test_a_worker_s_invalid_summary_is_a_400_and_writes_nothing(worker, make_job, payload, field):
    job = make_job()
    url = f"/api/meetings/call_data/summary/{job.meeting_id}"
    body = {"call_title": "New title", "actions": [{"action_name": "Call back"}], **payload}

    response = worker.put(url, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_analysis"
    assert (
        response.json()["error"].startswith("Invalid analysis: ")
        and field in response.json()["error"]
    )
    job.meeting.refresh_from_db()
    assert job.meeting.title == "Call" and not Action.objects.exists()


def test_a_worker_s_summary_is_stored_in_the_one_shape(worker, make_job):
    job = make_job()
    url = f"/api/meetings/call_data/summary/{job.meeting_id}"
    body = {
        "detected_products": [{"product_name": " Motor Secure ", "interest_level": "HIGH"}],
        "deal_stage": "negotiation",
        "call_summary": ["One bullet"],
    }

    assert worker.put(url, body, format="json").status_code == 200

    job.meeting.refresh_from_db()
    assert job.meeting.detected_products == [
        {
            "product_id": None,
            "product_name": "Motor Secure",
            "features": [],
            "mentions": 1,
            "interest_level": "high",
        }
    ]
    assert job.meeting.deal_stage["deal_stage"] == "Negotiation / Approval"
    assert job.meeting.summary == ["One bullet"]


def test_an_update_keeps_only_the_keys_sent():
    assert validate_analysis_update({"call_summary": {"bullets": ["A"]}, "junk": 1}) == {
        "call_summary": {"bullets": ["A"]}
    }
    assert validate_analysis_update({"deal_stage": None}) == {"deal_stage": None}


def test_old_provider_paths_still_load(provider):
    provider.ANALYSIS_PROVIDER = "meetings.analysis.offline.OfflineAnalyser"
    assert isinstance(get_analysis_provider(), OfflineAnalyser)
    assert provider_path("meetings.transcription.whisper.FasterWhisperTranscriber") == (
        "pipeline.transcription.whisper.FasterWhisperTranscriber"
    )
    assert provider_path("myco.Analyser") == "myco.Analyser"
