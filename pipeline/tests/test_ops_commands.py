"""The ops commands of the processing pipeline, each with and without --dry-run."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from meetings.models import Job, JobStatus
from pipeline import tasks

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
