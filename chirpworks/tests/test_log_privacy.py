"""A full call-to-analysis run writes no phone number, token or password into the logs."""

import io
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pythonjsonlogger.json import JsonFormatter

from calls.tests.conftest import RecordingServer
from chirpworks.logging import LogContextFilter
from meetings.models import JobStatus, Meeting

DEMO = Path(__file__).resolve().parents[2] / "demo" / "recordings" / "d1-stereo.ogg"
BUYER_NATIONAL = "9812345678"


@pytest.fixture
def log_output():
    """The project's production handler (JSON, context filter) at DEBUG on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(job_id)s %(message)s")
    )
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.mark.django_db(transaction=True)
def test_call_to_analysis_logs_leak_nothing(
    api_client, seller, settings, tmp_path, log_output, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.EXOTEL_API_KEY, settings.EXOTEL_API_TOKEN = "exo-key-123", "exo-token-secret-456"
    server = RecordingServer("exo-key-123", "exo-token-secret-456")
    server.responses.append((200, DEMO.read_bytes(), "audio/ogg"))
    server.allow(settings)
    tz = seller.agency.tzinfo
    start = (timezone.now() - timedelta(minutes=3)).astimezone(tz).replace(microsecond=0)

    def at(seconds: int, sep: str = "T") -> str:
        return (start + timedelta(seconds=seconds)).strftime(f"%Y-%m-%d{sep}%H:%M:%S")

    try:
        login = api_client.post(
            "/api/auth/login",
            {"email": seller.email, "password": "s3cret-pass!"},
            format="json",
        )
        access = login.json()["access_token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        with django_capture_on_commit_callbacks(execute=True):
            synced = api_client.post(
                "/api/call_records/post_app_call_record",
                [
                    {
                        "sellerNumber": seller.phone,
                        "appCallId": "android-1",
                        "buyerNumber": f"+91 {BUYER_NATIONAL}",
                        "callType": "outgoing",
                        "startTime": at(0),
                        "endTime": at(28),
                        "duration": 28,
                    }
                ],
                format="json",
            )
        assert synced.status_code == 200
        api_client.credentials()
        with django_capture_on_commit_callbacks(execute=True):
            hooked = api_client.get(
                "/api/call_records/post_exotel_recording",
                {
                    "key": seller.agency.exotel_webhook_secret,
                    "CallSid": "sid-privacy",
                    "CallFrom": seller.phone,
                    "DialWhomNumber": f"0{BUYER_NATIONAL}",
                    "CallStatus": "completed",
                    "StartTime": at(1, " "),
                    "EndTime": at(28, " "),
                    "DialCallDuration": "27",
                    "RecordingUrl": f"{server.url}/sid-privacy.ogg",
                },
            )
        assert hooked.status_code == 200
        # Oops paths get logged too: a wrong password and a bad webhook key.
        api_client.post(
            "/api/auth/login", {"email": seller.email, "password": "wrong-pass"}, format="json"
        )
        api_client.get("/api/call_records/post_exotel_recording", {"key": "not-the-key"})
    finally:
        server.close()

    meeting = Meeting.objects.get()
    assert meeting.job.status == JobStatus.COMPLETED, meeting.job.error
    assert meeting.transcription

    output = log_output.getvalue()
    assert "job_id" in output and str(meeting.job.pk) in output  # the task lines carry the job
    seller_national = seller.phone[3:]
    for secret in (
        seller_national,
        BUYER_NATIONAL,
        access,
        login.json()["refresh_token"],
        "s3cret-pass!",
        "wrong-pass",
        "exo-token-secret-456",
        seller.agency.exotel_webhook_secret,
    ):
        assert secret not in output
