import logging

import pytest
from django.utils import timezone
from model_bakery import baker

from chirpworks.celery import app as celery_app
from chirpworks.logging import LogContextFilter, log_context, scrub
from chirpworks.models import WorkerHeartbeat
from chirpworks.tasks import record_worker_heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_alive(db):
    record_worker_heartbeat.delay()
    return WorkerHeartbeat.objects.get()


def test_healthy_answers_200_with_every_check(api_client, worker_alive):
    response = api_client.get("/api/health/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "cache",
        "broker",
        "workers",
        "queue",
        "backlog",
        "storage",
        "speech_model",
    }
    assert body["checks"]["speech_model"]["model"] == "tiny.en"
    assert body["checks"]["workers"]["seen"] == 1
    assert body["checks"]["queue"]["waiting_jobs"] == 0


def test_broker_down_answers_503(api_client, worker_alive, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = api_client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert "127.0.0.1:1" not in response.content.decode()


def test_no_recent_worker_answers_503(api_client):
    baker.make(
        WorkerHeartbeat, hostname="old", seen_at=timezone.now() - timezone.timedelta(hours=1)
    )
    response = api_client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == {
        "ok": False,
        "error": "RuntimeError",
        "ms": response.json()["checks"]["workers"]["ms"],
    }


def test_every_response_carries_a_request_id(api_client):
    response = api_client.get("/api/health/hello")
    assert len(response["X-Request-ID"]) == 32
    echoed = api_client.get("/api/health/hello", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    bogus = api_client.get("/api/health/hello", HTTP_X_REQUEST_ID="<script>")
    assert bogus["X-Request-ID"] != "<script>"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("seller +919876543210 called 09876 543 210", "9876543210"),
        ("auth Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoxfQ.c2lnbmF0dXJl", "eyJ"),
        ("login password=hunter2", "hunter2"),
        ("GET https://apikey:apitoken@api.exotel.com/rec.mp3", "apitoken"),
    ],
)
def test_scrub_removes_phones_tokens_and_passwords(text, leak):
    assert leak not in scrub(text)


def test_scrub_keeps_dates_ids_and_counts():
    text = "at 2026-11-22 00:14:55 job 48fb2e59-d1a3-4f02-9557-6263c634cc45 took 1234567 ms"
    assert scrub(text) == text


def test_log_lines_carry_the_context_and_are_scrubbed():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "call from %s", ("+919876543210",), None
    )
    with log_context(request_id="r1", job_id="j1"):
        LogContextFilter().filter(record)
    assert (record.request_id, record.job_id, record.task_id) == ("r1", "j1", "-")
    assert record.getMessage() == "call from [phone]"


def test_missing_speech_model_answers_503(api_client, worker_alive, settings, tmp_path):
    from pipeline.transcription import _provider

    settings.WHISPER_MODEL = str(tmp_path)  # a directory with no model in it
    _provider.cache_clear()
    response = api_client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["speech_model"]["ok"] is False
    assert str(tmp_path) not in response.content.decode()
