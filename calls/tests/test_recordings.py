import logging
from datetime import UTC, datetime

import pytest
from django.core.files.storage import default_storage
from model_bakery import baker

from calls.models import ExotelCall, RecordingStatus
from calls.recordings import RecordingDownloadError, audio_duration_seconds, url_without_credentials
from calls.tasks import download_exotel_recording
from calls.tests.conftest import wav_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _replay_retries():
    """Let eager tasks replay their retries at once (no countdown), as a worker would over time."""
    from chirpworks.celery import app

    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


@pytest.fixture
def pending_call(seller):
    def make(url: str) -> ExotelCall:
        return baker.make(
            ExotelCall,
            agency=seller.agency,
            seller=seller,
            call_sid="sid-rec",
            start_time=datetime(2025, 3, 1, 4, 30, tzinfo=UTC),
            recording_url=url,
            recording_status=RecordingStatus.PENDING,
        )

    return make


def test_downloads_with_basic_auth_measures_and_stores(recording_server, pending_call, caplog):
    recording_server.responses.append((200, wav_bytes(2.5), "audio/wav"))
    call = pending_call(f"{recording_server.url}/rec/sid-rec.wav")
    caplog.set_level(logging.DEBUG)
    download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.STORED
    assert call.recording_duration == 2.5
    assert call.duration == 2  # Exotel sent no duration: the recording's length fills it
    assert call.end_time == datetime(2025, 3, 1, 4, 30, 2, 500000, tzinfo=UTC)
    # Named from our ids, never from the CallSid or the URL Exotel sent.
    assert call.recording.name.startswith(f"recordings/exotel/{call.agency_id}/{call.pk}")
    assert "sid-rec" not in call.recording.name
    assert call.recording.name.endswith(".wav")
    with default_storage.open(call.recording.name) as stored:
        assert audio_duration_seconds(stored) == 2.5
    assert recording_server.requests[0]["auth"] == recording_server.expected
    assert "exo-token-456" not in call.recording_url and "exo-token-456" not in caplog.text


def test_a_failed_download_is_retried_then_succeeds(recording_server, pending_call):
    recording_server.responses += [(503, b"busy", "text/plain"), (200, wav_bytes(1), "audio/wav")]
    call = pending_call(f"{recording_server.url}/rec/sid-rec.wav")
    download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.STORED
    assert len([r for r in recording_server.requests]) >= 2


def test_wrong_credentials_fail_for_good_without_retrying(recording_server, pending_call, settings):
    settings.EXOTEL_API_TOKEN = "wrong-token"
    call = pending_call(f"{recording_server.url}/rec/sid-rec.mp3")
    download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.FAILED
    assert len(recording_server.requests) == 1


def test_gives_up_after_the_retry_limit(recording_server, pending_call):
    call = pending_call(f"{recording_server.url}/rec/never-ready.mp3")  # always 404
    download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.FAILED
    assert len(recording_server.requests) == download_exotel_recording.max_retries + 1


def test_a_non_audio_body_is_not_stored(recording_server, pending_call):
    recording_server.responses += [(200, b"<html>oops</html>", "text/html")] * 20
    call = pending_call(f"{recording_server.url}/rec/sid-rec.mp3")
    download_exotel_recording.apply(args=[str(call.pk)])
    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.FAILED
    assert not call.recording


def test_a_vanished_call_is_a_no_op():
    download_exotel_recording.apply(args=["00000000-0000-0000-0000-000000000000"])


def test_errors_never_carry_credentials():
    error = RecordingDownloadError("Recording download answered HTTP 401", transient=False)
    assert "token" not in str(error)
    assert (
        url_without_credentials("https://user:pass@example.com:8443/a.mp3?x=1")
        == "https://example.com:8443/a.mp3?x=1"
    )


DEMO_RECORDINGS = __import__("pathlib").Path(__file__).resolve().parents[2] / "demo" / "recordings"


def test_a_telephone_mp3_without_id3_tag_is_stored(recording_server, pending_call):
    """Issue 17 #11: the demo's 8 kHz MPEG-2.5 MP3 (no ID3 tag) is audio; detected by decoding."""
    data = (DEMO_RECORDINGS / "d2-mono.mp3").read_bytes()
    assert not data.startswith(b"ID3")
    recording_server.responses.append((200, data, "application/octet-stream"))
    call = pending_call(f"{recording_server.url}/rec/sid-rec")
    download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.STORED
    assert call.recording_duration == pytest.approx(30.888, abs=0.05)
    assert call.recording.name.endswith(".mp3")
    assert len(recording_server.requests) == 1


def test_format_comes_from_the_bytes_not_the_url(recording_server, pending_call):
    data = (DEMO_RECORDINGS / "d1-stereo.ogg").read_bytes()
    recording_server.responses.append((200, data, "audio/mpeg"))
    call = pending_call(f"{recording_server.url}/rec/sid-rec.mp3")
    download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.STORED
    assert call.recording.name.endswith(".ogg")


def test_an_undecodable_recording_fails_once_with_a_clear_error(
    recording_server, pending_call, caplog
):
    recording_server.responses += [(200, b"<html>not audio</html>" * 50, "audio/mpeg")] * 3
    call = pending_call(f"{recording_server.url}/rec/sid-rec.mp3")
    with caplog.at_level(logging.WARNING):
        download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.FAILED
    assert len(recording_server.requests) == 1  # no retries: the same bytes never decode
    assert "not decodable audio" in caplog.text


def test_a_retry_stamps_when_it_is_due(recording_server, pending_call):
    """The outbox stamp (``recording_queued_at``) is written by the retry hook (before sending)."""
    recording_server.responses += [(503, b"busy", "text/plain"), (200, wav_bytes(1), "audio/wav")]
    call = pending_call(f"{recording_server.url}/rec/sid-rec.wav")
    assert call.recording_queued_at is None
    download_exotel_recording.apply(args=[str(call.pk)])

    call.refresh_from_db()
    assert call.recording_status == RecordingStatus.STORED
    assert call.recording_queued_at is not None
