from datetime import timedelta
from statistics import fmean
from typing import Any

from django.utils import timezone

from chirpworks.exceptions import NotFoundError
from chirpworks.phones import phone_raw
from meetings.analysis.base import AnalysisContext
from meetings.models import PERFORMANCE_METRICS, CallPerformance, Job, Meeting
from products.models import Product
from sellers.models import Seller


def _metric_score(value: Any) -> float | None:
    if isinstance(value, dict) and isinstance(value.get("score"), int | float):
        return float(value["score"])
    return None


def performance_summary(*, seller: Seller, days: int = 7) -> dict[str, Any]:
    """Average performance of ``seller``'s calls over the last ``days`` days, in one query."""
    tz = seller.agency.tzinfo if seller.agency else timezone.get_current_timezone()
    end = timezone.now()
    start = end - timedelta(days=days)
    rows = CallPerformance.objects.filter(
        meeting__seller=seller, meeting__start_time__gte=start, meeting__start_time__lte=end
    ).values_list(*PERFORMANCE_METRICS, "overall_score")

    scores: dict[str, list[float]] = {name: [] for name in PERFORMANCE_METRICS}
    overall: list[float] = []
    for row in rows:
        for name, value in zip(PERFORMANCE_METRICS, row, strict=False):
            score = _metric_score(value)
            if score is not None:
                scores[name].append(score)
        if row[-1] is not None:
            overall.append(row[-1])
    return {
        "calls_count": len(rows),
        "overall_score": round(fmean(overall), 2) if overall else None,
        "metrics": {name: round(fmean(v), 2) if v else None for name, v in scores.items()},
        "start_date": start.astimezone(tz).date(),
        "end_date": end.astimezone(tz).date(),
    }


# =================================================================================================
# Processing pipeline and worker endpoints (issue 4)
# =================================================================================================


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


def agency_catalogue(*, agency_id: str) -> list[dict[str, Any]]:
    return [
        {"id": str(p["id"]), **{k: v for k, v in p.items() if k != "id"}}
        for p in Product.objects.filter(agency_id=agency_id)
        .order_by("name")
        .values("id", "name", "description", "features")
    ]


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
    trackers = (agency.settings or {}).get("keyword_trackers") or {}
    return AnalysisContext(
        call_start=meeting.start_time,
        timezone=agency.timezone,
        agency_name=agency.name,
        agency_description=agency.description,
        seller_name=meeting.seller.name,
        buyer_name=meeting.buyer.name,
        products=agency_catalogue(agency_id=agency.pk),
        keyword_trackers=trackers if isinstance(trackers, dict) else {},
        previous_summaries=summaries,
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
