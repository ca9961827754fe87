"""Reads of processing jobs: the sweeps' and health checks' queries, reprocessing, workers."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency
from chirpworks.exceptions import NotFoundError
from meetings.models import Job, JobStatus, Meeting


def jobs_stuck(*, now: datetime | None = None):
    """Jobs in progress whose worker is presumed lost: the lease ran out, or (no lease: claimed
    by an external worker) it started more than ``JOB_STUCK_AFTER`` ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STUCK_AFTER)
    return Job.objects.filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=cutoff),
        status=JobStatus.IN_PROGRESS,
    )


def jobs_unsent(*, now: datetime | None = None):
    """Jobs waiting in init whose message was never sent (the broker was down when they were
    created) or was sent long ago and never claimed (the message was lost)."""
    now = now or timezone.now()
    return Job.objects.filter(
        Q(
            enqueued_at__isnull=True,
            updated_at__lt=now - timedelta(seconds=settings.OUTBOX_UNSENT_GRACE),
        )
        | Q(enqueued_at__lt=now - timedelta(seconds=settings.OUTBOX_RESEND_AFTER)),
        status=JobStatus.INIT,
    )


def jobs_overdue(*, now: datetime | None = None):
    """Jobs that should have been processed by now: waiting in init past HEALTH_OVERDUE_AFTER
    (a retry counts from when it is due)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.HEALTH_OVERDUE_AFTER)
    return Job.objects.filter(
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True, updated_at__lt=cutoff),
        status=JobStatus.INIT,
    )


def meetings_for_reprocessing(
    *, agency: Agency | None = None, since: datetime | None = None, status: str | None = None
):
    """Jobs (with their meetings) a reprocessing run selects, oldest meeting first."""
    jobs = Job.objects.select_related("meeting")
    if agency is not None:
        jobs = jobs.filter(meeting__agency=agency)
    if since is not None:
        jobs = jobs.filter(meeting__start_time__gte=since)
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("meeting__start_time")


def job_reprocess_kind(*, job: Job) -> str:
    """What reprocessing ``job`` means: "analysis" (a completed job with a transcript is analysed
    again), "job" (a failed or waiting job runs again from the start) or "skipped"."""
    if job.status == JobStatus.COMPLETED and job.meeting.transcription:
        return "analysis"
    if job.status == JobStatus.INIT:
        return "job"
    if job.status == JobStatus.FAILURE and (job.meeting.recording.name or job.audio_location):
        return "job"  # without a recording it would only fail again (see jobs_retry)
    return "skipped"


def job_get(*, job_id: str) -> Job:
    """A job with its meeting, agency, seller and buyer, or 404."""
    job = (
        Job.objects.select_related("meeting__agency", "meeting__seller", "meeting__buyer")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise NotFoundError("Job not found")
    return job


def job_get_by_meeting(*, meeting_id: str) -> Job:
    job = Job.objects.select_related("meeting").filter(meeting_id=meeting_id).first()
    if job is None:
        raise NotFoundError("Job not found for this meeting")
    return job


def meeting_get_for_worker(*, meeting_id: str) -> Meeting:
    meeting = (
        Meeting.objects.select_related("agency", "seller", "buyer").filter(pk=meeting_id).first()
    )
    if meeting is None:
        raise NotFoundError("Meeting not found")
    return meeting


def job_audio_url(*, job: Job) -> str | None:
    """Where a worker can fetch the recording: the storage URL (signed on S3), else the location."""
    recording = job.meeting.recording
    if recording and recording.name:
        return recording.url
    return job.audio_location or None
