"""Reads only the pipeline needs: what an analysis or an external worker knows besides the
transcript."""

from typing import Any

from agencies.tracker_selectors import agency_keyword_trackers
from chirpworks.phones import phone_raw
from chirpworks.redaction import agency_pii_patterns
from meetings.models import Job, Meeting
from meetings.selectors import agency_catalogue
from pipeline.analysis.base import AnalysisContext


def meeting_analysis_context(*, meeting: Meeting, previous: int = 3) -> AnalysisContext:
    """Everything an analysis provider needs to know besides the transcript."""
    agency = meeting.agency
    earlier = (
        Meeting.objects.filter(buyer_id=meeting.buyer_id, start_time__lt=meeting.start_time)
        .exclude(pk=meeting.pk)
        .order_by("-start_time")
        .values_list("summary", flat=True)[:previous]
    )
    summaries = []
    for summary in reversed(list(earlier)):
        bullets = summary.get("bullets", []) if isinstance(summary, dict) else summary
        if isinstance(bullets, list) and bullets:
            summaries.append(" ".join(str(b) for b in bullets))
    trackers = agency_keyword_trackers(agency_id=agency.pk)
    return AnalysisContext(
        call_start=meeting.start_time,
        timezone=agency.timezone,
        agency_name=agency.name,
        agency_description=agency.description,
        seller_name=meeting.seller.name,
        buyer_name=meeting.buyer.name,
        products=agency_catalogue(agency_id=agency.pk),
        keyword_trackers=trackers,
        previous_summaries=summaries,
        pii_patterns=agency_pii_patterns(agency),
        # picks the analyser's built-in competitor list; inferred from the catalogue when unset
        industry=str((agency.settings or {}).get("industry") or ""),
    )


def job_worker_context(*, job: Job) -> dict[str, Any]:
    """``GET /api/jobs/<id>/context``: the prompt context an external worker needs."""
    meeting = job.meeting
    agency, buyer, seller = meeting.agency, meeting.buyer, meeting.seller
    return {
        "job_id": job.pk,
        "meeting_id": meeting.pk,
        "agency_info": {"id": agency.pk, "name": agency.name, "description": agency.description},
        "buyer_info": {
            "name": buyer.name or "buyer",
            "phone": phone_raw(buyer.phone),
            "company_name": buyer.company_name,
        },
        "seller_info": {"name": seller.name, "email": seller.email},
        "product_catalogue": agency_catalogue(agency_id=agency.pk),
    }
