"""The ops commands of the meetings app, each with and without --dry-run."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from model_bakery import baker

from calls.models import ExotelCall
from meetings.models import JobStatus

pytestmark = pytest.mark.django_db


def run(capsys, *args) -> str:
    call_command(*args)
    return capsys.readouterr().out.strip()


class TestCleanupRecordings:
    def test_deletes_audio_past_retention_and_keeps_the_transcript(
        self, make_job, agency, capsys, settings
    ):
        settings.RECORDING_RETENTION_DAYS = 30
        old = make_job("d1-stereo.ogg", status=JobStatus.COMPLETED)
        old.meeting.start_time = timezone.now() - timedelta(days=40)
        old.meeting.transcription = [{"speaker": "Speaker 1", "text": "Hello"}]
        old.meeting.save()
        old.audio_location = old.meeting.recording.name
        old.save()
        exotel = baker.make(ExotelCall, agency=agency, recording=old.meeting.recording.name)
        fresh = make_job("d2-mono.mp3", status=JobStatus.COMPLETED)
        fresh.meeting.start_time = timezone.now() - timedelta(days=3)
        fresh.meeting.save()
        old_name = old.meeting.recording.name

        out = run(capsys, "cleanup_recordings", "--dry-run")
        assert out.startswith("Would delete 1 recording files")
        assert default_storage.exists(old_name)

        out = run(capsys, "cleanup_recordings")
        assert out.startswith("Deleted 1 recording files")
        assert not default_storage.exists(old_name)
        assert default_storage.exists(fresh.meeting.recording.name)
        old.refresh_from_db()
        old.meeting.refresh_from_db()
        exotel.refresh_from_db()
        assert old.meeting.recording.name == ""
        assert old.meeting.transcription == [{"speaker": "Speaker 1", "text": "Hello"}]
        assert old.audio_location == ""
        assert exotel.recording.name == ""

    def test_an_agency_may_keep_recordings_longer(self, make_job, agency, capsys, settings):
        settings.RECORDING_RETENTION_DAYS = 30
        agency.recording_retention_days = 90
        agency.save()
        job = make_job("d1-stereo.ogg")
        job.meeting.start_time = timezone.now() - timedelta(days=40)
        job.meeting.save()
        assert run(capsys, "cleanup_recordings").startswith("Deleted 0 recording files")
