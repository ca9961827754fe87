"""Issue 17 #8: a crashed worker's job is taken over within minutes through its lease, not after
20 minutes, by a redelivered message or by the sweep; the broker's redelivery timeout fits the
task limits."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from meetings import job_services
from meetings.models import Job, JobStatus
from pipeline import processing, tasks

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerKilled(BaseException):
    """Stands for kill -9 mid-job: nothing in the task can catch it."""


def crash_midway(make_job, monkeypatch) -> Job:
    job = make_job("d1-stereo.ogg")

    def die(*, job, segments):
        raise WorkerKilled

    monkeypatch.setattr(processing, "job_analyse", die)
    with pytest.raises(WorkerKilled):
        tasks.process_job.delay(str(job.pk))
    monkeypatch.undo()
    job.refresh_from_db()
    return job


def test_claim_takes_a_lease_of_minutes(make_job, monkeypatch, settings):
    media = settings.MEDIA_ROOT
    job = crash_midway(make_job, monkeypatch)
    settings.MEDIA_ROOT = media
    assert job.status == JobStatus.IN_PROGRESS
    remaining = (job.lease_expires_at - timezone.now()).total_seconds()
    assert 0 < remaining <= settings.JOB_LEASE_SECONDS
    # The lease is what declares a worker dead, and it is minutes, not JOB_STUCK_AFTER.
    assert settings.JOB_LEASE_SECONDS <= 300 < settings.JOB_STUCK_AFTER


def test_a_redelivered_message_takes_over_once_the_lease_ran_out(make_job, monkeypatch, settings):
    media = settings.MEDIA_ROOT
    job = crash_midway(make_job, monkeypatch)
    settings.MEDIA_ROOT = media
    assert tasks.process_job.delay(str(job.pk)).get() == "skipped"  # its worker may be alive

    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.process_job.delay(str(job.pk)).get() == "completed"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_expires_at) == (JobStatus.COMPLETED, 2, None)


def test_the_sweep_takes_over_an_expired_lease_and_not_a_live_one(make_job, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(tasks.process_job, "delay", sent.append)
    now = timezone.now()
    alive = make_job(
        status=JobStatus.IN_PROGRESS,
        attempts=1,
        started_at=now - timedelta(minutes=10),  # a long job, still renewing its lease
        lease_expires_at=now + timedelta(seconds=60),
    )
    dead = make_job(
        status=JobStatus.IN_PROGRESS,
        attempts=1,
        started_at=now - timedelta(minutes=3),
        lease_expires_at=now - timedelta(seconds=5),
    )
    assert job_services.job_requeue_stuck() == [str(dead.pk)]
    assert sent == [str(dead.pk)]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == JobStatus.INIT and dead.lease_expires_at is None
    assert alive.status == JobStatus.IN_PROGRESS


def test_a_takeover_of_a_job_that_used_up_its_attempts_fails_it(make_job, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = make_job(
        status=JobStatus.IN_PROGRESS,
        attempts=2,
        started_at=timezone.now() - timedelta(minutes=3),
        lease_expires_at=timezone.now() - timedelta(seconds=5),
    )
    assert tasks.process_job.delay(str(job.pk)).get() == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILURE and "lost 2 times" in job.error


def test_lease_renewal_belongs_to_the_current_attempt_only(make_job):
    job = make_job(
        status=JobStatus.IN_PROGRESS,
        attempts=2,
        started_at=timezone.now(),
        lease_expires_at=timezone.now() + timedelta(seconds=5),
    )
    assert job_services.job_lease_renew(job_id=job.pk, attempt=1) is False  # a superseded worker
    assert job_services.job_lease_renew(job_id=job.pk, attempt=2) is True
    job.refresh_from_db()
    assert job.lease_expires_at > timezone.now() + timedelta(seconds=60)


@pytest.mark.real_time
def test_the_heartbeat_renews_while_the_job_runs_and_stops_after(monkeypatch, settings):
    settings.JOB_LEASE_SECONDS = 4  # a beat every second
    beats = threading.Semaphore(0)
    calls: list[int] = []

    def renew(*, job_id, attempt):
        calls.append(attempt)
        beats.release()
        return True

    monkeypatch.setattr(job_services, "job_lease_renew", renew)
    with processing.job_lease_kept(job_id="job-1", attempt=3):
        assert beats.acquire(timeout=10)
        assert beats.acquire(timeout=10)
    after = len(calls)
    assert after >= 2 and set(calls) == {3}
    assert not any(t.name == "lease-job-1" for t in threading.enumerate())


def test_redis_visibility_timeout_exceeds_every_task_hold():
    """Redis redelivers an unacknowledged message after the visibility timeout; acks_late tasks
    hold theirs while running and while a retry countdown waits, so it must exceed both."""
    from calls.tasks import download_exotel_recording
    from chirpworks.celery import app

    timeout = django_settings.CELERY_VISIBILITY_TIMEOUT
    assert timeout > tasks.process_job.time_limit == django_settings.JOB_HARD_TIME_LIMIT
    assert timeout > django_settings.JOB_RETRY_BACKOFF_MAX
    assert timeout > download_exotel_recording.time_limit
    assert timeout > django_settings.EXOTEL_DOWNLOAD_BACKOFF_MAX * 1.25
    # A lease renewed four times per period outlives a slow beat but not a dead worker for long.
    assert django_settings.JOB_LEASE_SECONDS < django_settings.JOB_SOFT_TIME_LIMIT
    assert tasks.process_job.soft_time_limit < tasks.process_job.time_limit
    if app.conf.broker_url.startswith("redis"):
        assert app.conf.broker_transport_options["visibility_timeout"] == timeout


def test_redis_broker_gets_the_visibility_timeout(monkeypatch):
    import importlib

    import chirpworks.settings.base as base

    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
    try:
        reloaded = importlib.reload(base)
        assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS == {
            "visibility_timeout": reloaded.CELERY_VISIBILITY_TIMEOUT
        }
        assert reloaded.CELERY_VISIBILITY_TIMEOUT > reloaded.JOB_HARD_TIME_LIMIT
    finally:
        monkeypatch.delenv("CELERY_BROKER_URL")
        importlib.reload(base)
