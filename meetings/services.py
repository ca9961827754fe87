"""Writes on meetings: the meetings made from calls, and people's corrections of them."""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.models import Buyer
from chirpworks.bulk import bulk_insert_rows, new_id, row_factory
from chirpworks.exceptions import ApplicationError
from chirpworks.phones import phone_denorm
from chirpworks.signals import KIND_MEETING, calls_written, entities_changed_send
from meetings.contacts import buyers_touch_for_visits
from meetings.job_services import BULK_BATCH_SIZE, jobs_enqueue
from meetings.models import (
    CorrectionField,
    Job,
    JobStatus,
    Meeting,
    MeetingCorrection,
    MeetingSource,
)
from sellers.models import Seller

logger = logging.getLogger(__name__)

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


_MEETING_FIELDS = (
    "id",
    "agency_id",
    "seller_id",
    "buyer_id",
    "source",
    "direction",
    "start_time",
    "end_time",
    "recording",
    "title",
)
_JOB_FIELDS = ("id", "meeting_id", "status", "audio_location", "error", "finished_at")


def meetings_insert_for_calls(*, specs: Iterable[CallMeetingSpec]) -> list[uuid.UUID]:
    """Create one meeting and one job per reconciled call, in bulk, and queue the jobs on commit.
    Returns the meetings' ids, in the order of ``specs``.

    A call with a recording gets a job in ``init`` that is enqueued for processing once the
    transaction commits. A call without one (an answered app call that Exotel never reported)
    still becomes a meeting, but its job is created as ``failure`` with a readable error and is
    never enqueued: there is nothing to transcribe, and call history shows it as "Not Recorded".
    Rows are written as rows (reconciliation makes 100,000 at a time), not model instances.
    """
    specs = list(specs)
    if not specs:
        return []
    now = timezone.now()
    meeting_row = row_factory(Meeting, _MEETING_FIELDS)
    job_row = row_factory(Job, _JOB_FIELDS)
    meeting_rows, job_rows, meeting_ids, queued = [], [], [], []
    for spec in specs:
        meeting_id, job_id = new_id(), new_id()
        meeting_ids.append(meeting_id)
        meeting_rows.append(
            meeting_row(
                (
                    meeting_id,
                    spec.seller.agency_id,  # the seller's, read with it
                    spec.seller.pk,
                    spec.buyer.pk,
                    MeetingSource.PHONE,
                    spec.direction,
                    spec.start_time,
                    spec.end_time,
                    spec.recording_name,
                    meeting_title_for_call(buyer=spec.buyer, seller=spec.seller),
                )
            )
        )
        if spec.recording_name:
            job_rows.append(
                job_row((job_id, meeting_id, JobStatus.INIT, spec.recording_name, "", None))
            )
            queued.append(str(job_id))
        else:
            job_rows.append(
                job_row((job_id, meeting_id, JobStatus.FAILURE, "", NO_RECORDING_ERROR, now))
            )
    with transaction.atomic():
        bulk_insert_rows(Meeting, meeting_rows)
        bulk_insert_rows(Job, job_rows)
        calls_written.send(Meeting, seller_times=[(s.seller.pk, s.start_time) for s in specs])
        # Rows written in bulk send no post_save: the buyers' last contacts move forward here.
        buyers_touch_for_visits(
            visits=[(s.buyer.pk, s.start_time, s.seller.pk) for s in specs],
            known={s.buyer.pk: s.buyer.last_contacted_at for s in specs},
        )
        entities_changed_send(sender=Meeting, kind=KIND_MEETING, ids=meeting_ids)
    if queued:
        transaction.on_commit(lambda: jobs_enqueue(job_ids=queued))
    return meeting_ids


def meetings_create_for_calls(*, specs: Iterable[CallMeetingSpec]) -> list[Meeting]:
    """``meetings_insert_for_calls``, answering the meetings themselves (in the specs' order)."""
    ids = meetings_insert_for_calls(specs=specs)
    meetings = Meeting.objects.in_bulk(ids)
    return [meetings[pk] for pk in ids]


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
