"""Writes on meetings, their processing jobs and call performance."""

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actions.models import ActionType
from actions.services import ActionProposal, ActionSyncResult, action_sync_for_meeting
from agencies.models import Agency, Buyer
from agencies.services import buyer_apply_analysis
from calls.models import ExotelCall
from chirpworks.bulk import bulk_insert
from chirpworks.exceptions import ApplicationError, ConflictError
from chirpworks.phones import phone_denorm
from chirpworks.signals import KIND_MEETING, calls_written, entities_changed_send
from chirpworks.timeframes import within_date_bounds
from meetings.contacts import meetings_touch_buyers
from meetings.disclosure import recording_disclosure
from meetings.models import (
    PERFORMANCE_METRICS,
    CallPerformance,
    CorrectionField,
    Job,
    JobStatus,
    Meeting,
    MeetingCorrection,
    MeetingSource,
    MetricOverride,
)
from meetings.signals import jobs_process_requested, jobs_reanalysis_requested
from meetings.trackers import meeting_tracker_hits_store
from sellers.models import Seller

logger = logging.getLogger(__name__)

BULK_BATCH_SIZE = 500
NO_RECORDING_ERROR = "No recording: the call has no Exotel recording to transcribe"


@dataclass(frozen=True)
class CallMeetingSpec:
    """What a reconciled phone call contributes to its meeting."""

    seller: Seller
    buyer: Buyer
    direction: str
    start_time: datetime
    end_time: datetime | None
    recording_name: str = ""


def meeting_title_for_call(*, buyer: Buyer, seller: Seller) -> str:
    """The buyer by name when the agency knows it, else by number."""
    return f"Meeting between {buyer.name or phone_denorm(buyer.phone)} and {seller.name}"


def meetings_create_for_calls(*, specs: Iterable[CallMeetingSpec]) -> list[Meeting]:
    """Create one meeting and one job per reconciled call, in bulk, and queue the jobs on commit.

    A call with a recording gets a job in ``init`` that is enqueued for processing once the
    transaction commits. A call without one (an answered app call that Exotel never reported)
    still becomes a meeting, but its job is created as ``failure`` with a readable error and is
    never enqueued: there is nothing to transcribe, and call history shows it as "Not Recorded".
    """
    now = timezone.now()
    meetings: list[Meeting] = []
    jobs: list[Job] = []
    for spec in specs:
        meeting = Meeting(
            id=uuid.uuid4(),
            agency_id=spec.seller.agency_id,
            seller=spec.seller,
            buyer=spec.buyer,
            source=MeetingSource.PHONE,
            direction=spec.direction,
            start_time=spec.start_time,
            end_time=spec.end_time,
            recording=spec.recording_name,
            title=meeting_title_for_call(buyer=spec.buyer, seller=spec.seller),
        )
        meetings.append(meeting)
        if spec.recording_name:
            jobs.append(
                Job(meeting=meeting, status=JobStatus.INIT, audio_location=spec.recording_name)
            )
        else:
            jobs.append(
                Job(
                    meeting=meeting,
                    status=JobStatus.FAILURE,
                    error=NO_RECORDING_ERROR,
                    finished_at=now,
                )
            )
    if not meetings:
        return []
    with transaction.atomic():
        # agency_id is the seller's, read with it (Meeting.objects.bulk_create, the path of
        # small batches, checks it again).
        bulk_insert(Meeting, meetings)
        bulk_insert(Job, jobs)
        calls_written.send(Meeting, seller_times=[(m.seller_id, m.start_time) for m in meetings])
        # bulk_create sends no post_save: the buyers' last contacts move forward here.
        meetings_touch_buyers(meetings=meetings)
        entities_changed_send(sender=Meeting, kind=KIND_MEETING, ids=[m.pk for m in meetings])
    queued = [str(job.pk) for job in jobs if job.status == JobStatus.INIT]
    if queued:
        transaction.on_commit(lambda: jobs_enqueue(job_ids=queued))
    return meetings


def meeting_create_for_call(
    *,
    seller: Seller,
    buyer: Buyer,
    direction: str,
    start_time: datetime,
    end_time: datetime | None,
    recording_name: str = "",
) -> Meeting:
    """One meeting and its job for one reconciled call (see ``meetings_create_for_calls``)."""
    spec = CallMeetingSpec(
        seller=seller,
        buyer=buyer,
        direction=direction,
        start_time=start_time,
        end_time=end_time,
        recording_name=recording_name,
    )
    return meetings_create_for_calls(specs=[spec])[0]


def meetings_attach_recordings(*, recordings: dict[uuid.UUID, str]) -> None:
    """Give recording-less meetings the recording that turned up late, and rerun their jobs.

    Only meetings that still have no recording are touched; their failed "No recording" job is
    reset to ``init`` and enqueued on commit.
    """
    meetings = list(
        Meeting.objects.filter(pk__in=list(recordings), recording="").select_related("job")
    )
    jobs = []
    now = timezone.now()
    for meeting in meetings:
        meeting.recording = recordings[meeting.pk]
        meeting.updated_at = now
        job = getattr(meeting, "job", None)
        if job is not None and job.status == JobStatus.FAILURE:
            job.status = JobStatus.INIT
            job.error = ""
            job.finished_at = None
            job.audio_location = meeting.recording.name
            job.updated_at = now
            jobs.append(job)
    with transaction.atomic():
        Meeting.objects.bulk_update(
            meetings, ["recording", "updated_at"], batch_size=BULK_BATCH_SIZE
        )
        Job.objects.bulk_update(
            jobs,
            ["status", "error", "finished_at", "audio_location", "updated_at"],
            batch_size=BULK_BATCH_SIZE,
        )
    queued = [str(job.pk) for job in jobs]
    if queued:
        transaction.on_commit(lambda: jobs_enqueue(job_ids=queued))


def meetings_fill_from_app_calls(*, directions: dict[uuid.UUID, str]) -> None:
    """Give meetings made from Exotel alone what a late app call knows: their direction."""
    by_direction: dict[str, list[uuid.UUID]] = {}
    for meeting_id, direction in directions.items():
        if direction:
            by_direction.setdefault(direction, []).append(meeting_id)
    now = timezone.now()
    for direction, ids in by_direction.items():
        Meeting.objects.filter(pk__in=ids, direction="").update(direction=direction, updated_at=now)


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
    Job.objects.filter(pk__in=list(job_ids)).update(enqueued_at=at or timezone.now())


# =================================================================================================
# Job lifecycle (processing pipeline, issue 4)
# =================================================================================================

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


# =================================================================================================
# Analysis persistence (processing pipeline, issue 4)
# =================================================================================================


def parse_due_date(value: Any, *, naive_tz: ZoneInfo) -> datetime | None:
    """An ISO-8601 due date as an aware datetime (naive ones are in ``naive_tz``); else None."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None  # e.g. the old prompts' "Not Specified"
    else:
        return None
    if not within_date_bounds(parsed):
        return None  # year 1 or 9999: a model's typo, and an overflow once stored
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v)
    return "" if value is None else str(value)


def _signals(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def action_proposals(
    items: list[dict[str, Any]] | None, *, type: str, naive_tz: ZoneInfo
) -> list[ActionProposal]:
    """Analysis action items (contract §4.7 or the old prompts' keys) as proposals."""
    proposals = []
    prefix = "suggested_action_" if type == ActionType.SUGGESTED_ACTION else "action_"
    for item in items or []:
        if not isinstance(item, dict):
            continue
        title = item.get("action_name") or item.get(f"{prefix}name")
        if not isinstance(title, str) or not title.strip():
            continue  # the contract skips items without a name
        reasoning = item.get("reasoning", item.get(f"{prefix}reasoning"))
        signals = item.get("signals", item.get(f"{prefix}signals"))
        if isinstance(reasoning, dict):  # the suggested-action prompt nests its signals
            signals = signals or reasoning.get("signals")
            reasoning = reasoning.get("reasoning")
        due = item.get("due_date", item.get(f"{prefix}due_date"))
        description = item.get("description", item.get(f"{prefix}description"))
        proposals.append(
            ActionProposal(
                title=title,
                type=type,
                description={"text": _text(description)},
                due_date=parse_due_date(due, naive_tz=naive_tz),
                reasoning=_text(reasoning),
                signals=_signals(signals),
            )
        )
    return proposals


def _metric(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not isinstance(value.get("score"), int | float):
        return None
    score = float(value["score"])
    if not 0 <= score <= 10:
        raise ApplicationError("Metric scores must be between 0 and 10", code="invalid_score")
    metric: dict[str, Any] = {"score": int(score) if score.is_integer() else score}
    for key in ("date", "reason"):
        if value.get(key) not in (None, ""):
            metric[key] = str(value[key])
    return metric


def _apply_metric_overrides(performance: CallPerformance) -> None:
    """A manager's override wins: its score is the metric's, the analysis's is kept beside it."""
    for override in MetricOverride.objects.filter(meeting_id=performance.meeting_id):
        computed = getattr(performance, override.metric) or {}
        computed_score = computed.get("computed_score", computed.get("score"))
        setattr(
            performance,
            override.metric,
            {
                **{k: v for k, v in computed.items() if k in ("date", "reason")},
                "score": override.score,
                "computed_score": computed_score,
                "override_reason": override.reason,
                "overridden_by": str(override.overridden_by_id or ""),
                "overridden_at": override.updated_at.isoformat(),
            },
        )


def call_performance_upsert(
    *,
    meeting: Meeting,
    data: dict[str, Any],
    overall_score: float | None = None,
    analyzed_at: datetime | None = None,
) -> tuple[CallPerformance, bool]:
    """Create or update the meeting's scores; ``data`` holds metrics and analysis objects.

    ``overall_score`` is the mean of the metric scores present and overrides a supplied value
    whenever there is at least one metric.
    """
    with transaction.atomic():
        performance = CallPerformance.objects.select_for_update().filter(meeting=meeting).first()
        created = performance is None
        if created:
            performance = CallPerformance(meeting=meeting)
        for name in PERFORMANCE_METRICS:
            if name in data:
                setattr(performance, name, _metric(data[name]))
        for name in (
            "product_details_analysis",
            "objection_handling_analysis",
            "overall_performance_summary",
        ):
            if name in data:
                setattr(performance, name, data[name])
        _apply_metric_overrides(performance)
        scores = [m["score"] for m in performance.metrics().values() if m]
        if scores:
            performance.overall_score = round(fmean(scores), 2)
        elif overall_score is not None:
            performance.overall_score = overall_score
        performance.analyzed_at = analyzed_at or timezone.now()
        performance.save()
    return performance, created


def meeting_apply_analysis(*, meeting: Meeting, analysis: dict[str, Any]) -> ActionSyncResult:
    """Store a provider's analysis (``pipeline.analysis.base``) on the meeting, in one transaction.

    Meeting fields, actions and suggested actions (updated in place by title), call performance
    and the buyer's profile.
    """
    tz = meeting.agency.tzinfo
    summary = analysis.get("call_summary") or {}
    if isinstance(summary, dict):
        bullets = summary.get("bullets") or []
        key_points = summary.get("key_discussion_points") or []
    else:
        bullets, key_points = summary, []
    extras = {
        key: analysis.get(key)
        for key in ("sentiment", "talk_ratio", "longest_monologue", "speaker_roles", "provider")
    }
    with transaction.atomic():
        # A field a person corrected keeps the correction, whatever the analysis says now.
        corrected = meeting_corrected_fields(meeting=meeting)
        meeting.title = (analysis.get("call_title") or meeting.title or "Call")[:300]
        if CorrectionField.SUMMARY not in corrected:
            meeting.summary = bullets if isinstance(bullets, list) else [str(bullets)]
        meeting.key_discussion_points = key_points
        meeting.type = analysis.get("call_type")
        meeting.detected_call_type = analysis.get("detected_call_type")
        if CorrectionField.DETECTED_PRODUCTS not in corrected:
            meeting.detected_products = analysis.get("detected_products") or []
        meeting.qa_pairs = analysis.get("qa_pairs") or []
        meeting.facts = analysis.get("facts") or []
        if CorrectionField.DEAL_STAGE not in corrected:
            meeting.deal_stage = analysis.get("deal_stage")
        meeting.risks = analysis.get("risks") or []
        meeting.analysis_extras = extras
        meeting.save()

        proposals = action_proposals(
            analysis.get("actions"), type=ActionType.ACTION, naive_tz=tz
        ) + action_proposals(
            analysis.get("suggested_actions"), type=ActionType.SUGGESTED_ACTION, naive_tz=tz
        )
        result = action_sync_for_meeting(
            meeting=meeting,
            proposals=proposals,
            types=[ActionType.ACTION, ActionType.SUGGESTED_ACTION],
        )
        performance = analysis.get("performance")
        if isinstance(performance, dict):
            call_performance_upsert(meeting=meeting, data=performance)
        meeting_tracker_hits_store(meeting=meeting)
        profile = analysis.get("buyer_profile") or {}
        buyer_apply_analysis(
            buyer=meeting.buyer,
            meeting_id=str(meeting.pk),
            risks=profile.get("risks") or analysis.get("risks") or [],
            products_discussed=profile.get("products_discussed") or [],
            key_highlights=profile.get("key_highlights") or [],
            meeting=meeting,
            analysis=analysis,
        )
    return result


def meeting_update_summary(*, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    """``PUT /api/meetings/call_data/summary/<id>``: update only the analysis keys given (§4.7).

    Naive action due dates are UTC, as the old workers send them. Actions of a kind that is
    present in ``data`` are synced in place by title (ids and completed status survive).
    """
    updated: list[str] = []
    corrected = meeting_corrected_fields(meeting=meeting)
    kept: list[str] = []
    simple = {
        "call_title": "title",
        "call_type": "type",
        "detected_call_type": "detected_call_type",
        "detected_products": "detected_products",
        "qa_pairs": "qa_pairs",
        "facts": "facts",
        "deal_stage": "deal_stage",
        "risks": "risks",
    }
    with transaction.atomic():
        for key, field in simple.items():
            if key in data:
                if field in corrected:
                    kept.append(field)
                    continue
                setattr(meeting, field, data[key])
                updated.append(field)
        if "call_summary" in data:
            summary = data["call_summary"]
            if isinstance(summary, dict):
                summary = dict(summary)
                if "key_discussion_points" in summary:
                    meeting.key_discussion_points = summary.pop("key_discussion_points")
                    updated.append("key_discussion_points")
                summary = summary.get("bullets", summary)
            if CorrectionField.SUMMARY in corrected:
                kept.append("summary")
            else:
                meeting.summary = summary if isinstance(summary, list | dict) else [summary]
                updated.append("summary")
        if "title" in updated:
            meeting.title = (meeting.title or "Call")[:300]
        if updated:
            meeting.save(update_fields=[*updated, "updated_at"])

        proposals: list[ActionProposal] = []
        types: list[str] = []
        for key, kind in (
            ("actions", ActionType.ACTION),
            ("suggested_actions", ActionType.SUGGESTED_ACTION),
        ):
            if data.get(key):
                types.append(kind)
                proposals += action_proposals(data[key], type=kind, naive_tz=ZoneInfo("UTC"))
        result = ActionSyncResult([], [], [])
        if types:
            result = action_sync_for_meeting(meeting=meeting, proposals=proposals, types=types)
    return {
        "updated_fields": updated,
        "kept_corrections": kept,
        "actions_created": len(result.created_ids),
        "created_action_ids": result.created_ids,
        "actions_updated": len(result.updated_ids),
        "actions_deleted": len(result.deleted_ids),
    }


# =================================================================================================
# Corrections by people (issue 13)
# =================================================================================================


def meeting_corrected_fields(*, meeting: Meeting) -> set[str]:
    """The analysis fields of ``meeting`` a person has corrected (re-analysis keeps them)."""
    return set(
        MeetingCorrection.objects.filter(meeting=meeting).values_list("field", flat=True).distinct()
    )


def _corrected_products(
    *, meeting: Meeting, wanted: list[str], catalogue: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    by_id = {str(p["id"]): p for p in catalogue}
    by_name = {str(p["name"]).strip().lower(): p for p in catalogue}
    current = {
        str(item.get("product_id") or item.get("product_name", "")).lower(): item
        for item in meeting.detected_products or []
        if isinstance(item, dict)
    }
    products: list[dict[str, Any]] = []
    unknown = []
    for value in wanted:
        product = by_id.get(value.strip()) or by_name.get(value.strip().lower())
        if product is None:
            unknown.append(value)
            continue
        if any(p["product_id"] == str(product["id"]) for p in products):
            continue
        kept = current.get(str(product["id"]).lower()) or current.get(product["name"].lower())
        products.append(
            {
                "product_id": str(product["id"]),
                "product_name": product["name"],
                "features": list((kept or {}).get("features") or []),
                "mentions": int((kept or {}).get("mentions") or 0),
                "interest_level": (kept or {}).get("interest_level") or "medium",
            }
        )
    if unknown:
        raise ApplicationError(
            "Unknown products (not in the agency's catalogue): " + ", ".join(unknown),
            code="unknown_product",
            extra={"unknown_products": unknown},
        )
    return products


def meeting_correct(
    *, meeting: Meeting, actor: Seller, data: dict[str, Any], catalogue: list[dict[str, Any]]
) -> list[MeetingCorrection]:
    """A person's corrections of the summary, deal stage and products, kept with who and when.

    ``data`` is validated input (``MeetingCorrectionSerializer``): ``summary`` (bullets),
    ``deal_stage`` (one of the stages), ``detected_products`` (catalogue ids or names). All of it
    is checked before anything is written; everything is written in one transaction.
    """
    values: dict[str, Any] = {}
    if "summary" in data:
        values[CorrectionField.SUMMARY] = list(data["summary"])
    if "deal_stage" in data:
        previous = meeting.deal_stage if isinstance(meeting.deal_stage, dict) else {}
        same = previous.get("deal_stage") == data["deal_stage"]
        values[CorrectionField.DEAL_STAGE] = {
            "deal_stage": data["deal_stage"],
            "stage_signals": list(previous.get("stage_signals") or []) if same else [],
            "stage_reasoning": [f"Set by {actor.name or actor.email}"],
        }
    if "detected_products" in data:
        values[CorrectionField.DETECTED_PRODUCTS] = _corrected_products(
            meeting=meeting, wanted=list(data["detected_products"]), catalogue=catalogue
        )
    if not values:
        raise ApplicationError(
            "Nothing to correct: send summary, deal_stage or detected_products",
            code="no_data",
        )
    corrections = [
        MeetingCorrection(
            meeting=meeting,
            field=field,
            value=value,
            previous=getattr(meeting, field),
            corrected_by=actor,
        )
        for field, value in values.items()
    ]
    with transaction.atomic():
        MeetingCorrection.objects.bulk_create(corrections)
        for field, value in values.items():
            setattr(meeting, field, value)
        meeting.save(update_fields=[*values, "updated_at"])
    logger.info("Meeting %s corrected by %s: %s", meeting.pk, actor.pk, ", ".join(values))
    return corrections


# =================================================================================================
# Ops: recording retention and re-processing (issue 6)
# =================================================================================================


@dataclass(frozen=True)
class RecordingPurgeResult:
    meetings: int
    files: int
    bytes: int


def meetings_with_expired_recordings(*, now: datetime | None = None):
    """Meetings whose recording is older than their agency's retention (transcripts stay)."""
    now = now or timezone.now()
    default_days = settings.RECORDING_RETENTION_DAYS
    expired = Q()
    for agency_id, days in Agency.objects.values_list("id", "recording_retention_days"):
        cutoff = now - timedelta(days=days if days is not None else default_days)
        expired |= Q(agency_id=agency_id, start_time__lt=cutoff)
    if not expired:
        return Meeting.objects.none()
    return Meeting.objects.exclude(recording="").filter(expired).order_by("start_time")


def meetings_purge_recordings(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> RecordingPurgeResult:
    """Delete the audio of meetings past retention and forget it on the meeting, its job and its
    Exotel call; the transcript and the analysis are kept."""
    meetings = meetings_with_expired_recordings(now=now)
    rows = list(meetings.values_list("pk", "recording"))
    total = len(rows)
    files = size = done = 0
    for start in range(0, total, batch_size):
        batch = rows[start : start + batch_size]
        names = sorted({name for _, name in batch if name})
        for name in names:
            if default_storage.exists(name):
                files += 1
                size += default_storage.size(name)
                if not dry_run:
                    default_storage.delete(name)
        if not dry_run:
            ids = [pk for pk, _ in batch]
            with transaction.atomic():
                Meeting.objects.filter(pk__in=ids).update(recording="", updated_at=timezone.now())
                Job.objects.filter(meeting_id__in=ids).update(audio_location="")
                ExotelCall.objects.filter(recording__in=names).update(recording="")
        done += len(batch)
        if progress:
            progress(done, total)
    return RecordingPurgeResult(meetings=total, files=files, bytes=size)


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
