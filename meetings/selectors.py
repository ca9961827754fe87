"""Reads of one meeting (what the app shows of it), its corrections, and retention."""

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from agencies.models import Agency
from agencies.tracker_selectors import agency_keyword_trackers
from chirpworks.exceptions import NotFoundError
from meetings.insights import meeting_objections, transcript_talk_metrics, transcript_tracker_hits
from meetings.models import Meeting, MeetingCorrection
from products.models import Product
from sellers.access_selectors import scope_visible
from sellers.models import Seller


def meeting_corrected_fields(*, meeting: Meeting) -> set[str]:
    """The analysis fields of ``meeting`` a person has corrected (re-analysis keeps them)."""
    return set(
        MeetingCorrection.objects.filter(meeting=meeting).values_list("field", flat=True).distinct()
    )


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


def meeting_get_visible(*, actor: Seller, meeting_id: uuid.UUID) -> Meeting:
    """A meeting the caller may read, with its agency, job, performance and corrections (with
    who made them); else 404."""
    meeting = (
        Meeting.objects.filter(scope_visible(actor=actor).q(), agency_id=actor.agency_id)
        .select_related("agency", "job", "performance")
        .prefetch_related(
            Prefetch(
                "corrections",
                queryset=MeetingCorrection.objects.select_related("corrected_by").order_by(
                    "-created_at"
                ),
            )
        )
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise NotFoundError("Meeting not found or unauthorized", code="meeting_not_found")
    return meeting


def meeting_recording_disclosure(*, meeting: Meeting, agency: Agency) -> dict[str, Any]:
    """``{disclosed, required, missing}``: ``missing`` flags a call the agency requires it of."""
    required = agency.setting_enabled("recording_disclosure_required")
    disclosed = meeting.recording_disclosed
    return {
        "disclosed": disclosed,
        "required": required,
        "missing": required and disclosed is False,
    }


def meeting_corrections_payload(*, meeting: Meeting) -> list[dict[str, Any]]:
    """The latest correction of each corrected field: who and when (from the prefetch)."""
    latest: dict[str, MeetingCorrection] = {}
    for correction in meeting.corrections.all():  # newest first
        latest.setdefault(correction.field, correction)
    return [
        {
            "field": c.field,
            "corrected_by": c.corrected_by_id,
            "corrected_by_name": c.corrected_by.name if c.corrected_by else None,
            "corrected_at": c.created_at,
        }
        for c in latest.values()
    ]


def meeting_insights(*, meeting: Meeting) -> dict[str, Any]:
    """The call_data additions: analysis fields, talk metrics and tracker hits read off the
    stored transcript (the agency's trackers: one query), warnings and corrections."""
    trackers = agency_keyword_trackers(agency_id=meeting.agency_id)
    return {
        "deal_stage": meeting.deal_stage,
        "risks": meeting.risks or [],
        "objections": meeting_objections(meeting.risks, meeting.transcription),
        "qa_pairs": meeting.qa_pairs or [],
        "facts": meeting.facts or [],
        "talk_metrics": transcript_talk_metrics(meeting.transcription),
        "tracker_hits": transcript_tracker_hits(meeting.transcription, trackers),
        "warnings": meeting.warnings or [],
        "corrections": meeting_corrections_payload(meeting=meeting),
    }


def meeting_transcription_text(*, meeting: Meeting) -> str | None:
    """The transcript as the app parses it: a JSON string of the segment list (null if none)."""
    if not meeting.transcription:
        return None
    return json.dumps(meeting.transcription, ensure_ascii=False)


def agency_catalogue(*, agency_id: str) -> list[dict[str, Any]]:
    return [
        {"id": str(p["id"]), **{k: v for k, v in p.items() if k != "id"}}
        for p in Product.objects.filter(agency_id=agency_id)
        .order_by("name")
        .values("id", "name", "description", "features")
    ]
