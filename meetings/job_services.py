"""Writes on processing jobs: the Job state machine (enqueue, claim, lease, release, fail,
requeue, retry, reprocess) and the results a worker hands back."""

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chirpworks.exceptions import ApplicationError, ConflictError
from meetings.analysis_services import meeting_apply_analysis
from meetings.disclosure import recording_disclosure
from meetings.job_selectors import job_reprocess_kind, jobs_stuck, jobs_unsent
from meetings.models import Job, JobStatus, Meeting
from meetings.signals import jobs_process_requested, jobs_reanalysis_requested

logger = logging.getLogger(__name__)

BULK_BATCH_SIZE = 500


def jobs_enqueue(*, job_ids: Iterable[str]) -> list[str]:
    """Send each job to the queue now; the ones sent are stamped ``enqueued_at`` (the outbox).

    A broker outage is logged, not raised: the job stays in init with no stamp, and
    ``job_requeue_stuck`` (beat) sends it once the broker is back.
    """
    job_ids = list(job_ids)
    responses = jobs_process_requested.send(sender=Job, job_ids=job_ids)
    queued = {job_id for _, sent_ids in responses for job_id in sent_ids or ()}
    sent = [job_id for job_id in job_ids if job_id in queued]
    if sent:
        jobs_mark_enqueued(job_ids=sent)
    return sent


def jobs_mark_enqueued(*, job_ids: Iterable[str], at: datetime | None = None) -> None:
    """Record that a message for these jobs was sent (or, for a retry, is due ``at``)."""
    Job.objects.filter(pk__any=list(job_ids)).update(enqueued_at=at or timezone.now())


# init -> in_progress -> completed | failure. A job goes back to init when it is handed back
# for a retry (transient error, lost worker); a failed job may be retried.
JOB_TRANSITIONS: dict[str, set[str]] = {
    JobStatus.INIT: {JobStatus.IN_PROGRESS, JobStatus.FAILURE},
    JobStatus.IN_PROGRESS: {JobStatus.COMPLETED, JobStatus.FAILURE, JobStatus.INIT},
    JobStatus.COMPLETED: set(),
    JobStatus.FAILURE: {JobStatus.INIT, JobStatus.IN_PROGRESS},
}

ERROR_MAX = 2000


def _set_status(job: Job, status: str, *, error: str = "", lease: bool = False) -> None:
    if status not in JOB_TRANSITIONS.get(job.status, set()):
        raise ConflictError(
            f"Job cannot go from {job.status} to {status}",
            code="invalid_transition",
            extra={"current_status": job.status},
        )
    now = timezone.now()
    job.status = status
    if status == JobStatus.IN_PROGRESS:
        job.attempts += 1
        job.started_at = now
        job.finished_at = None
        job.error = ""
    elif status in (JobStatus.COMPLETED, JobStatus.FAILURE):
        job.finished_at = now
        job.error = error[:ERROR_MAX] if status == JobStatus.FAILURE else ""
    else:  # back to init: keep why, for the record
        job.finished_at = None
        job.error = error[:ERROR_MAX]
    # Only our own workers hold a lease (they renew it); external workers fall back to
    # JOB_STUCK_AFTER.
    job.lease_expires_at = job_lease_deadline(now) if lease else None
    job.save(
        update_fields=[
            "status",
            "attempts",
            "started_at",
            "finished_at",
            "error",
            "lease_expires_at",
            "updated_at",
        ]
    )


def job_lease_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.JOB_LEASE_SECONDS)


def job_lease_renew(*, job_id: uuid.UUID | str, attempt: int) -> bool:
    """Extend the lease of the worker on ``attempt``; False once someone else owns the job."""
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.IN_PROGRESS, attempts=attempt).update(
            lease_expires_at=job_lease_deadline()
        )
    )


def job_transition(*, job: Job, status: str, error: str = "") -> Job:
    """Move ``job`` to ``status`` if the lifecycle allows it (row-locked), else 409."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        _set_status(locked, status, error=error)
    return locked


def job_enqueue(*, job: Job) -> None:
    """Queue ``job`` for processing once the current transaction commits."""
    job_id = str(job.pk)
    transaction.on_commit(lambda: jobs_enqueue(job_ids=[job_id]))


def job_create_for_meeting(*, meeting: Meeting, audio_location: str = "") -> Job:
    """The meeting's job (created once, in init) queued for processing."""
    with transaction.atomic():
        job, created = Job.objects.get_or_create(
            meeting=meeting, defaults={"audio_location": audio_location}
        )
        if created or job.status == JobStatus.INIT:
            job_enqueue(job=job)
    return job


def _lease_expired(job: Job, now: datetime) -> bool:
    """The worker that claimed ``job`` is presumed dead: its lease ran out (or, for a job claimed
    by an external worker, which holds no lease, it started more than JOB_STUCK_AFTER ago)."""
    if job.lease_expires_at is not None:
        return job.lease_expires_at < now
    limit = timedelta(seconds=settings.JOB_STUCK_AFTER)
    return job.started_at is None or job.started_at < now - limit


def job_claim(*, job_id: str) -> Job | None:
    """Take ``job_id`` for processing (init -> in_progress) with a lease; None when there is
    nothing to do.

    Nothing to do: the job is gone, finished, or in progress on a live worker. A job in progress
    whose lease ran out lost its worker: a redelivered message takes it over here (a new attempt;
    the dead worker's results, should it wake, are dropped), unless it has used up
    ``JOB_MAX_ATTEMPTS``, when it fails.
    """
    with transaction.atomic():
        job = (
            Job.objects.select_for_update()
            .select_related("meeting__agency", "meeting__seller", "meeting__buyer")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            return None
        if job.status == JobStatus.IN_PROGRESS and _lease_expired(job, timezone.now()):
            if _job_lost_too_often(job):
                return None
            logger.warning("Job %s: its worker's lease ran out; taking it over", job.pk)
            job.status = JobStatus.INIT  # handed back, then claimed below, under the same lock
        if job.status != JobStatus.INIT:
            return None
        _set_status(job, JobStatus.IN_PROGRESS, lease=True)
    return job


def _job_lost_too_often(job: Job) -> bool:
    """Fail a job whose worker was lost JOB_MAX_ATTEMPTS times (a recording that kills it)."""
    if job.attempts < settings.JOB_MAX_ATTEMPTS:
        return False
    _set_status(
        job,
        JobStatus.FAILURE,
        error=f"The worker was lost {job.attempts} times while processing this job",
    )
    return True


def job_release(*, job: Job, attempt: int, error: str) -> bool:
    """Hand an in-progress job back to init for a retry; False if someone else owns it now."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status != JobStatus.IN_PROGRESS or locked.attempts != attempt:
            return False
        _set_status(locked, JobStatus.INIT, error=error)
    return True


def job_fail(*, job: Job, error: str, attempt: int | None = None) -> bool:
    """Mark the job failed with a readable ``error``; False if it moved on meanwhile."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if attempt is not None and locked.attempts != attempt:
            return False
        if JobStatus.FAILURE not in JOB_TRANSITIONS[locked.status]:
            return False
        _set_status(locked, JobStatus.FAILURE, error=error)
    logger.warning("Job %s failed: %s", job.pk, error)
    return True


def job_requeue_stuck(*, now: datetime | None = None) -> list[str]:
    """The beat sweep: hand back jobs whose worker died mid-way (lease expired) and send every
    job the queue does not hold (the outbox); returns the ids sent.

    A job that has used up ``JOB_MAX_ATTEMPTS`` fails instead, so a recording that kills its
    worker (e.g. out of memory) cannot loop forever.
    """
    requeued: list[str] = []
    with transaction.atomic():
        stuck = jobs_stuck(now=now).select_for_update(skip_locked=True)
        for job in stuck:
            if _job_lost_too_often(job):
                continue
            _set_status(job, JobStatus.INIT, error="Re-queued: the worker processing it was lost")
            requeued.append(str(job.pk))
        unsent = [
            str(pk)
            for pk in jobs_unsent(now=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        ]
    if requeued:
        logger.warning("Re-queued %d stuck job(s): %s", len(requeued), ", ".join(requeued))
    if unsent:
        logger.warning("Sending %d job(s) the queue did not hold", len(unsent))
    queued = requeued + unsent
    if queued:
        transaction.on_commit(lambda: jobs_enqueue(job_ids=queued))
    return queued


def job_set_transcription(*, job: Job, transcription: list[dict[str, Any]]) -> Meeting:
    """Store a transcript an external worker produced."""
    meeting = job.meeting
    meeting.transcription = transcription
    meeting.recording_disclosed = recording_disclosure(transcription)["disclosed"]
    meeting.save(update_fields=["transcription", "recording_disclosed", "updated_at"])
    return meeting


def job_complete_with_results(
    *,
    job: Job,
    attempt: int,
    transcription: list[dict[str, Any]],
    analysis: dict[str, Any],
    warnings: list[dict[str, Any]] | None = None,
) -> bool:
    """Persist the transcript, its warnings and the analysis and complete the job, in one
    transaction.

    ``warnings`` (e.g. a channel whose speech was not transcribed) replace the meeting's earlier
    ones: they describe this transcript. False (and nothing written) if this attempt no longer
    owns the job, e.g. it was re-queued because this worker looked dead.
    """
    with transaction.atomic():
        locked = Job.objects.select_for_update().select_related("meeting").get(pk=job.pk)
        if locked.status != JobStatus.IN_PROGRESS or locked.attempts != attempt:
            return False
        meeting = locked.meeting
        meeting.transcription = transcription
        meeting.recording_disclosed = recording_disclosure(transcription)["disclosed"]
        meeting.warnings = list(warnings or [])
        meeting.save(
            update_fields=["transcription", "recording_disclosed", "warnings", "updated_at"]
        )
        meeting_apply_analysis(meeting=meeting, analysis=analysis)
        _set_status(locked, JobStatus.COMPLETED)
    return True


def job_trigger_analysis(*, job: Job) -> None:
    """Queue a (re-)analysis of the job's transcript; refused unless there is one to analyse."""
    if job.status not in (JobStatus.IN_PROGRESS, JobStatus.COMPLETED):
        raise ApplicationError(
            f"Job {job.pk} is not ready for analysis. Current status: {job.status}",
            code="job_not_ready",
        )
    if not job.meeting.transcription:
        raise ApplicationError("The meeting has no transcription yet", code="no_transcription")
    job_id = str(job.pk)
    transaction.on_commit(lambda: analyses_enqueue(job_ids=[job_id]))


def job_apply_reanalysis(*, job: Job, analysis: dict[str, Any]) -> None:
    """Persist a re-analysis; a job an external worker left in progress is completed."""
    with transaction.atomic():
        meeting_apply_analysis(meeting=job.meeting, analysis=analysis)
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status == JobStatus.IN_PROGRESS:
            _set_status(locked, JobStatus.COMPLETED)


@dataclass(frozen=True)
class JobsRetryResult:
    retried: list[str]  # failed jobs back in init and queued
    resent: list[str]  # jobs already waiting, sent to the queue again
    no_recording: list[str]  # failed jobs left alone: there is nothing to transcribe
    skipped: list[str]  # in progress or completed: nothing to retry


def jobs_retry(*, job_ids: Iterable[uuid.UUID | str]) -> JobsRetryResult:
    """Run failed jobs again from the start and re-send waiting ones, queued on commit (ops).

    A failed job goes back to ``init`` (the lifecycle's failure -> init), keeping its old error
    for the record until a worker claims it. A job already in ``init`` is only sent to the queue
    again (its message may have been lost; claiming is idempotent). A failed job whose meeting has
    no recording is left failed, since it would only fail again; in-progress and completed jobs
    are skipped (re-analysis is ``meetings_trigger_analysis``).
    """
    result = JobsRetryResult([], [], [], [])
    now = timezone.now()
    with transaction.atomic():
        jobs = list(
            Job.objects.select_for_update(of=("self",))
            .select_related("meeting")
            .only("id", "status", "error", "finished_at", "audio_location", "meeting__recording")
            .filter(pk__in=list(job_ids))
            .order_by("pk")
        )
        changed = []
        for job in jobs:
            job_id = str(job.pk)
            if job.status == JobStatus.INIT:
                result.resent.append(job_id)
            elif job.status != JobStatus.FAILURE:  # in progress or completed
                result.skipped.append(job_id)
            elif not (job.meeting.recording.name or job.audio_location):
                result.no_recording.append(job_id)
            else:
                job.status = JobStatus.INIT
                job.error = f"Retried by ops after: {job.error}"[:ERROR_MAX]
                job.finished_at = None
                job.updated_at = now
                changed.append(job)
                result.retried.append(job_id)
        Job.objects.bulk_update(
            changed, ["status", "error", "finished_at", "updated_at"], batch_size=BULK_BATCH_SIZE
        )
        queued = result.retried + result.resent
        if queued:
            transaction.on_commit(lambda: jobs_enqueue(job_ids=queued))
    if result.retried:
        logger.info("Ops retried %d failed job(s)", len(result.retried))
    return result


@dataclass(frozen=True)
class MeetingsAnalysisResult:
    queued: list[str]  # meeting ids whose job's analysis was queued
    no_transcript: list[str]
    not_ready: list[str]  # no job, or a job that is waiting or failed


def meetings_trigger_analysis(*, meeting_ids: Iterable[uuid.UUID | str]) -> MeetingsAnalysisResult:
    """Queue a re-analysis (``analyse_job``) of each meeting's stored transcript, on commit.

    The rules of ``job_trigger_analysis``, for many meetings in three queries: the meeting needs a
    transcript and a job that is in progress or completed; the others are reported, not queued.
    """
    ids = list(meeting_ids)
    rows = list(Meeting.objects.filter(pk__in=ids).values_list("pk", "job__pk", "job__status"))
    with_transcript = set(
        Meeting.objects.filter(pk__in=ids).exclude(transcription=[]).values_list("pk", flat=True)
    )
    result = MeetingsAnalysisResult([], [], [])
    job_ids = []
    for meeting_id, job_id, status in rows:
        if job_id is None or status not in (JobStatus.IN_PROGRESS, JobStatus.COMPLETED):
            result.not_ready.append(str(meeting_id))
        elif meeting_id not in with_transcript:
            result.no_transcript.append(str(meeting_id))
        else:
            result.queued.append(str(meeting_id))
            job_ids.append(str(job_id))
    if job_ids:
        transaction.on_commit(lambda: analyses_enqueue(job_ids=job_ids))
    return result


def analyses_enqueue(*, job_ids: Iterable[str]) -> None:
    """Ask the pipeline to analyse these jobs' stored transcripts again (call it on commit)."""
    jobs_reanalysis_requested.send(sender=Job, job_ids=list(job_ids))


def jobs_reprocess(*, jobs: Iterable[Job]) -> Counter[str]:
    """Queue, on commit, what ``job_reprocess_kind`` says for each job; counts of what was done.

    Re-analyses go through ``meetings_trigger_analysis`` and re-runs through ``jobs_retry``, so a
    job that cannot be re-run (e.g. no recording) is counted as skipped.
    """
    by_kind: dict[str, list[Job]] = {"analysis": [], "job": [], "skipped": []}
    for job in jobs:
        by_kind[job_reprocess_kind(job=job)].append(job)
    analysed = meetings_trigger_analysis(meeting_ids=[j.meeting_id for j in by_kind["analysis"]])
    retried = jobs_retry(job_ids=[j.pk for j in by_kind["job"]])
    rerun = len(retried.retried) + len(retried.resent)
    return Counter(
        analysis=len(analysed.queued),
        job=rerun,
        skipped=len(by_kind["skipped"])
        + len(by_kind["analysis"])
        - len(analysed.queued)
        + len(by_kind["job"])
        - rerun,
    )
