"""The ops commands of the meetings app, each with and without --dry-run."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone
from model_bakery import baker

from calls.models import ExotelCall
from meetings import tasks
from meetings.models import Job, JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Records the tasks queued instead of running the pipeline eagerly."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(tasks.process_job, "delay", lambda job_id: sent.append(("job", job_id)))
    monkeypatch.setattr(
        tasks.analyse_job, "delay", lambda job_id: sent.append(("analysis", job_id))
    )
    return sent


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


class TestRequeueStuckJobs:
    def test_dry_run_lists_and_the_real_run_requeues(
        self, make_job, capsys, queued, django_capture_on_commit_callbacks
    ):
        job = make_job(
            status=JobStatus.IN_PROGRESS,
            attempts=1,
            started_at=timezone.now() - timedelta(hours=2),
        )
        out = run(capsys, "requeue_stuck_jobs", "--dry-run")
        assert str(job.pk) in out
        assert out.endswith("Would re-queue 1 stuck jobs and fail 0 that used up their attempts.")
        job.refresh_from_db()
        assert job.status == JobStatus.IN_PROGRESS

        with django_capture_on_commit_callbacks(execute=True):
            assert run(capsys, "requeue_stuck_jobs") == "Re-queued 1 stuck jobs."
        job.refresh_from_db()
        assert job.status == JobStatus.INIT
        assert queued == [("job", str(job.pk))]


class TestReprocessMeetings:
    @pytest.fixture
    def jobs(self, make_job, agency):
        done = make_job(status=JobStatus.COMPLETED)
        done.meeting.transcription = [{"speaker": "Speaker 1", "role": "seller", "text": "Hi"}]
        done.meeting.save()
        failed = make_job(status=JobStatus.FAILURE, error="Recording is silent")
        running = make_job(status=JobStatus.IN_PROGRESS)
        return done, failed, running

    def test_dry_run_counts_and_queues_nothing(self, jobs, capsys, queued):
        out = run(capsys, "reprocess_meetings", "--dry-run")
        assert out == "Would queue 1 re-analyses and 1 full re-runs of 2 selected jobs; 0 skipped."
        assert queued == []

    def test_queues_analysis_or_a_full_rerun(
        self, jobs, capsys, queued, django_capture_on_commit_callbacks
    ):
        done, failed, running = jobs
        with django_capture_on_commit_callbacks(execute=True):
            out = run(capsys, "reprocess_meetings", "--agency", "Acme Realty", "--batch-size", "1")
        assert out == "Queued 1 re-analyses and 1 full re-runs of 2 selected jobs; 0 skipped."
        running.refresh_from_db()
        assert running.status == JobStatus.IN_PROGRESS  # never taken from a live worker
        assert sorted(queued) == sorted([("analysis", str(done.pk)), ("job", str(failed.pk))])
        failed.refresh_from_db()
        assert failed.status == JobStatus.INIT

    def test_filters_by_status_and_since(self, jobs, capsys, queued):
        out = run(capsys, "reprocess_meetings", "--status", "failure", "--dry-run")
        assert "0 re-analyses and 1 full re-runs of 1 selected" in out
        out = run(capsys, "reprocess_meetings", "--since", "1d", "--dry-run")
        assert "of 0 selected jobs" in out  # the fixtures' meetings are from 2026-11-09

    def test_unknown_agency_fails(self, jobs):
        with pytest.raises(CommandError):
            call_command("reprocess_meetings", "--agency", "Nope")
        assert Job.objects.filter(status=JobStatus.FAILURE).count() == 1
