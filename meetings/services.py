"""Writes on meetings and their processing jobs."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from agencies.models import Buyer
from chirpworks.phones import phone_denorm
from meetings.models import Job, JobStatus, Meeting, MeetingSource
from sellers.models import Seller

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
    return f"Meeting between {phone_denorm(buyer.phone)} and {seller.name}"


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
        Meeting.objects.bulk_create(meetings, batch_size=BULK_BATCH_SIZE)
        Job.objects.bulk_create(jobs, batch_size=BULK_BATCH_SIZE)
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


def jobs_enqueue(*, job_ids: Iterable[str]) -> None:
    from meetings.tasks import process_job  # late: tasks import services

    for job_id in job_ids:
        process_job.delay(job_id)
