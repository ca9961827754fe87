"""Worker endpoints: service-token auth, contract shapes, validated transitions."""

import json
import uuid

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from actions.models import Action, ActionStatus
from meetings.models import CallPerformance, Job, JobStatus
from pipeline.tests.conftest import WORKER_TOKEN
from products.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(worker_token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {worker_token}")
    return client


@pytest.fixture
def job(make_job) -> Job:
    return make_job("d6-mono.ogg")


def endpoints(job: Job) -> list[tuple[str, str]]:
    return [
        ("get", f"/api/jobs/by_meeting/{job.meeting_id}"),
        ("post", "/api/jobs/update_status"),
        ("get", f"/api/jobs/{job.pk}/status"),
        ("get", f"/api/jobs/{job.pk}/audio_url"),
        ("put", f"/api/jobs/{job.pk}/meeting/transcription"),
        ("get", f"/api/jobs/{job.pk}/context"),
        ("post", "/api/analysis/trigger_analysis"),
        ("put", f"/api/meetings/call_data/summary/{job.meeting_id}"),
        ("post", f"/api/performance/call/{job.meeting_id}/metrics"),
    ]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "service_token_missing"),
        ({"HTTP_AUTHORIZATION": "Bearer wrong-token"}, 401, "service_token_invalid"),
        ({"HTTP_X_SERVICE_TOKEN": "wrong-token"}, 401, "service_token_invalid"),
        ({"HTTP_AUTHORIZATION": f"Bearer {WORKER_TOKEN}x"}, 401, "service_token_invalid"),
    ],
)
def test_endpoints_refuse_a_missing_or_wrong_token(job, worker_token, headers, status, code):
    for method, url in endpoints(job):
        response = getattr(APIClient(), method)(url, {}, format="json", **headers)
        assert response.status_code == status, url
        assert response.json()["code"] == code
        assert "msg" in response.json()
    job.refresh_from_db()
    assert job.status == JobStatus.INIT


def test_endpoints_refuse_everything_without_a_configured_token(job, settings):
    settings.WORKER_SERVICE_TOKEN = ""
    for method, url in endpoints(job):
        response = getattr(APIClient(), method)(
            url, {}, format="json", HTTP_AUTHORIZATION="Bearer "
        )
        assert response.status_code == 403, url
        assert response.json()["code"] == "worker_api_disabled"


def test_seller_jwt_is_not_a_service_token(job, worker_token, client_for, seller):
    response = client_for(seller).get(f"/api/jobs/{job.pk}/status")
    assert response.status_code == 401


def test_x_service_token_header_works(job, worker_token):
    response = APIClient().get(f"/api/jobs/{job.pk}/status", HTTP_X_SERVICE_TOKEN=worker_token)
    assert response.status_code == 200


def test_job_by_meeting(worker, job):
    response = worker.get(f"/api/jobs/by_meeting/{job.meeting_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"job_id", "meeting_id", "status", "start_time", "end_time", "s3_audio_url"}
    assert body["job_id"] == str(job.pk) and body["status"] == "init"
    assert body["s3_audio_url"].endswith(".ogg")
    assert worker.get(f"/api/jobs/by_meeting/{uuid.uuid4()}").status_code == 404


def test_job_status_and_audio_url(worker, job):
    body = worker.get(f"/api/jobs/{job.pk}/status").json()
    assert set(body) == {"job_id", "status", "start_time", "end_time", "s3_audio_url"}
    body = worker.get(f"/api/jobs/{job.pk}/audio_url").json()
    assert set(body) == {"job_id", "s3_audio_url"} and body["s3_audio_url"]
    assert worker.get(f"/api/jobs/{uuid.uuid4()}/status").status_code == 404
    assert worker.get(f"/api/jobs/{uuid.uuid4()}/audio_url").status_code == 404
    assert worker.get("/api/jobs/not-a-uuid/status").status_code == 404


def test_update_status_follows_the_lifecycle(worker, job):
    response = worker.post(
        "/api/jobs/update_status", {"job_id": str(job.pk), "status": "in_progress"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "job_id", "status", "start_time", "end_time"}
    assert body["status"] == "in_progress" and body["start_time"] and body["end_time"] is None

    response = worker.post(
        "/api/jobs/update_status", {"job_id": str(job.pk), "status": "completed"}, format="json"
    )
    assert response.status_code == 200 and response.json()["end_time"]

    response = worker.post(
        "/api/jobs/update_status", {"job_id": str(job.pk), "status": "in_progress"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


def test_update_status_bad_input(worker, job):
    response = worker.post(
        "/api/jobs/update_status", {"job_id": str(job.pk), "status": "done"}, format="json"
    )
    assert response.status_code == 400
    assert "init, in_progress, completed, failure" in response.json()["error"]
    response = worker.post("/api/jobs/update_status", {"status": "failure"}, format="json")
    assert response.status_code == 400
    response = worker.post(
        "/api/jobs/update_status", {"job_id": str(uuid.uuid4()), "status": "failure"}, format="json"
    )
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.INIT


def test_put_transcription(worker, job):
    segments = [
        {"speaker": "A", "role": "seller", "text": "Hello", "translation": None, "confidence": 0.9}
    ]
    response = worker.put(
        f"/api/jobs/{job.pk}/meeting/transcription",
        {"transcription": json.dumps(segments)},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "message": "Transcription updated successfully",
        "job_id": str(job.pk),
        "meeting_id": str(job.meeting_id),
        "transcription_updated": True,
    }
    job.meeting.refresh_from_db()
    assert job.meeting.transcription == [{**segments[0], "start": None, "end": None}]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"transcription": "not json"},
        {"transcription": "{}"},
        {"transcription": [{"role": "boss", "text": "x"}]},
    ],
)
def test_put_transcription_bad_input(worker, job, payload):
    response = worker.put(f"/api/jobs/{job.pk}/meeting/transcription", payload, format="json")
    assert response.status_code == 400
    job.meeting.refresh_from_db()
    assert job.meeting.transcription == []


def test_job_context(worker, job):
    baker.make(Product, agency=job.meeting.agency, name="Term Shield", features=[{"name": "x"}])
    baker.make(Product, agency=baker.make("agencies.Agency", name="Else"), name="Elsewhere")
    body = worker.get(f"/api/jobs/{job.pk}/context").json()
    assert set(body) == {
        "job_id",
        "meeting_id",
        "agency_info",
        "buyer_info",
        "seller_info",
        "product_catalogue",
    }
    assert set(body["agency_info"]) == {"id", "name", "description"}
    assert body["buyer_info"]["phone"].startswith("0091")
    assert set(body["buyer_info"]) == {"name", "phone", "company_name"}
    assert set(body["seller_info"]) == {"name", "email"}
    assert [p["name"] for p in body["product_catalogue"]] == ["Term Shield"]
    assert worker.get(f"/api/jobs/{uuid.uuid4()}/context").status_code == 404


def test_trigger_analysis_runs_our_analysis(worker, job, django_capture_on_commit_callbacks):
    job.status = JobStatus.IN_PROGRESS
    job.save()
    job.meeting.transcription = [
        {
            "speaker": "Speaker 1",
            "role": "seller",
            "text": "I will send the quote tomorrow.",
            "translation": None,
            "confidence": 0.9,
            "start": 0.0,
            "end": 2.0,
        }
    ]
    job.meeting.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = worker.post(
            "/api/analysis/trigger_analysis", {"job_id": str(job.pk)}, format="json"
        )

    assert response.status_code == 200
    assert response.json() == {
        "message": f"Analysis task triggered successfully for job_id: {job.pk}"
    }
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert CallPerformance.objects.filter(meeting=job.meeting).exists()


def test_trigger_analysis_refuses_a_job_not_ready(worker, job):
    response = worker.post("/api/analysis/trigger_analysis", {"job_id": str(job.pk)}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "job_not_ready"
    job.status = JobStatus.COMPLETED
    job.save()
    response = worker.post("/api/analysis/trigger_analysis", {"job_id": str(job.pk)}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "no_transcription"
    response = worker.post(
        "/api/analysis/trigger_analysis", {"job_id": str(uuid.uuid4())}, format="json"
    )
    assert response.status_code == 404


def test_put_summary(worker, job):
    url = f"/api/meetings/call_data/summary/{job.meeting_id}"
    payload = {
        "call_title": "Renewal call",
        "call_summary": {"bullets": ["Discussed renewal"], "key_discussion_points": ["Price"]},
        "detected_products": [{"product_name": "Motor Secure"}],
        "qa_pairs": [{"question": "Price?", "answer": "8000"}],
        "actions": [
            {
                "action_name": "Send payment link",
                "due_date": "2026-11-13T10:00:00",
                "description": "UPI",
                "reasoning": "Agreed",
                "signals": ["link"],
            },
            {"description": "no name: skipped"},
        ],
    }
    response = worker.put(url, payload, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "message",
        "updated_fields",
        "kept_corrections",
        "actions_created",
        "created_action_ids",
        "actions_updated",
        "actions_deleted",
    }
    assert body["message"] == "Meeting analysis data updated successfully"
    assert set(body["updated_fields"]) == {
        "title",
        "summary",
        "key_discussion_points",
        "detected_products",
        "qa_pairs",
    }
    assert body["actions_created"] == 1
    action = Action.objects.get(pk=body["created_action_ids"][0])
    assert action.due_date.isoformat() == "2026-11-13T10:00:00+00:00"  # naive = UTC

    # Re-sent after the seller completed it: same action, still completed.
    action.status = ActionStatus.COMPLETED
    action.save()
    body = worker.put(url, payload, format="json").json()
    assert body["actions_created"] == 0 and body["actions_updated"] == 1
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETED
    job.meeting.refresh_from_db()
    assert job.meeting.title == "Renewal call" and job.meeting.summary == ["Discussed renewal"]


def test_put_summary_bad_input(worker, job):
    url = f"/api/meetings/call_data/summary/{job.meeting_id}"
    assert worker.put(url, {}, format="json").json()["code"] == "no_data"
    response = worker.put(
        url,
        {"call_title": "x", "actions": [{"action_name": "a", "due_date": "next week"}]},
        format="json",
    )
    assert response.status_code == 400
    job.meeting.refresh_from_db()
    assert job.meeting.title == "Call" and not Action.objects.exists()
    response = worker.put(
        f"/api/meetings/call_data/summary/{uuid.uuid4()}", {"call_title": "x"}, format="json"
    )
    assert response.status_code == 404


def test_post_metrics_creates_then_updates(worker, job):
    url = f"/api/performance/call/{job.meeting_id}/metrics"
    payload = {
        "intro": {"score": 8, "date": "2026-11-09", "reason": "Clear"},
        "rapport_building": {"score": 6},
        "overall_score": 1,
        "overall_performance_summary": {"text": "good"},
    }
    response = worker.post(url, payload, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"message", "call_performance"}
    assert set(body["call_performance"]) == {
        "id",
        "meeting_id",
        "overall_score",
        "analyzed_at",
        "created_at",
        "updated_at",
    }
    assert body["call_performance"]["overall_score"] == 7.0
    performance = CallPerformance.objects.get(meeting=job.meeting)
    assert performance.intro == {"score": 8, "date": "2026-11-09", "reason": "Clear"}

    response = worker.post(url, {"intro": {"score": 2}}, format="json")
    assert response.status_code == 200
    assert response.json()["call_performance"]["overall_score"] == 4.0
    assert CallPerformance.objects.count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"intro": {"score": 11}},
        {"intro": {"reason": "no score"}},
        {"intro": {"score": 5, "date": "yesterday"}},
        {"intro": {"score": 5}, "analyzed_at": "0001-01-01T00:00:00+05:30"},
        {"intro": {"score": 5}, "analyzed_at": "9999-12-31T23:59:59-05:00"},
    ],
)
def test_post_metrics_bad_input(worker, job, payload):
    response = worker.post(
        f"/api/performance/call/{job.meeting_id}/metrics", payload, format="json"
    )
    assert response.status_code == 400
    assert not CallPerformance.objects.exists()


def test_post_metrics_unknown_meeting(worker):
    response = worker.post(
        f"/api/performance/call/{uuid.uuid4()}/metrics", {"intro": {"score": 5}}, format="json"
    )
    assert response.status_code == 404
