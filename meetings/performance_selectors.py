"""Reads of call performance: a meeting's scores, a seller's averages and analysed calls."""

import uuid
from datetime import datetime, time, timedelta
from statistics import fmean
from typing import Any

from django.db.models import Avg, Count, FloatField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from chirpworks.exceptions import ForbiddenError, NotFoundError
from chirpworks.phones import phone_raw
from chirpworks.timeframes import DateRange
from meetings.models import PERFORMANCE_METRICS, CallPerformance, JobStatus, Meeting
from meetings.selectors import meeting_get_visible
from sellers.access_selectors import seller_can_manage
from sellers.models import Seller


def _metric_score(value: Any) -> float | None:
    if isinstance(value, dict) and isinstance(value.get("score"), int | float):
        return float(value["score"])
    return None


def performance_summary(*, seller: Seller, days: int = 7) -> dict[str, Any]:
    """Average performance of ``seller``'s calls over the last ``days`` calendar days (today
    included, in the agency's timezone), in one query."""
    tz = seller.agency.tzinfo if seller.agency else timezone.get_current_timezone()
    end = timezone.now()
    first_day = end.astimezone(tz).date() - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tzinfo=tz)
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


ANALYSIS_FIELDS = (
    "product_details_analysis",
    "objection_handling_analysis",
    "overall_performance_summary",
)


def _performance_missing() -> NotFoundError:
    return NotFoundError("No performance data found for this meeting", code="performance_not_found")


def _performance_of(meeting: Meeting) -> CallPerformance | None:
    try:
        return meeting.performance
    except CallPerformance.DoesNotExist:
        return None


def performance_payload(*, performance: CallPerformance) -> dict[str, Any]:
    """The contract's performance object: metrics present, analysis objects present."""
    return {
        "meeting_id": performance.meeting_id,
        "overall_score": performance.overall_score,
        "analyzed_at": performance.analyzed_at,
        "metrics": {
            name: value for name, value in performance.metrics().items() if value is not None
        },
        "analysis": {
            name: getattr(performance, name)
            for name in ANALYSIS_FIELDS
            if getattr(performance, name) is not None
        },
    }


def meeting_performance_payload(*, meeting: Meeting) -> dict[str, Any] | None:
    performance = _performance_of(meeting)
    return performance_payload(performance=performance) if performance else None


def performance_get_visible(*, actor: Seller, meeting_id: uuid.UUID) -> CallPerformance:
    performance = _performance_of(meeting_get_visible(actor=actor, meeting_id=meeting_id))
    if performance is None:
        raise _performance_missing()
    return performance


def performance_get_manageable(*, actor: Seller, meeting_id: uuid.UUID) -> CallPerformance:
    """A performance an admin (agency) or the seller's manager may delete; others get 403."""
    performance = (
        CallPerformance.objects.select_related("meeting")
        .filter(meeting_id=meeting_id, meeting__agency_id=actor.agency_id)
        .first()
    )
    if performance is None:
        if not Meeting.objects.filter(pk=meeting_id, agency_id=actor.agency_id).exists():
            raise NotFoundError("Meeting not found", code="meeting_not_found")
        raise _performance_missing()
    if not seller_can_manage(actor=actor, seller_id=performance.meeting.seller_id):
        raise ForbiddenError(
            "Only an admin or the seller's manager may delete performance data",
            code="not_allowed",
        )
    return performance


def meeting_feedback(*, actor: Seller, meeting_id: uuid.UUID) -> dict[str, Any]:
    """The performance reasons of a call: each metric's score and reason, and the summary."""
    performance = performance_get_visible(actor=actor, meeting_id=meeting_id)
    feedback = {}
    for name, value in performance.metrics().items():
        if isinstance(value, dict):
            feedback[name] = {"score": value.get("score"), "reason": value.get("reason")}
    return {
        "id": performance.meeting_id,
        "overall_score": performance.overall_score,
        "analyzed_at": performance.analyzed_at,
        "feedback": feedback,
        "overall_performance_summary": performance.overall_performance_summary,
    }


def _score_average(name: str) -> Avg:
    # Each metric is {"score": n, ...}; average the number in SQL.
    return Avg(Cast(KT(f"{name}__score"), FloatField()))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def performance_user_metrics(*, seller: Seller, date_range: DateRange) -> dict[str, Any]:
    """Daily averages of ``seller``'s call performance, and of the whole range: two queries."""
    rows = CallPerformance.objects.filter(
        meeting__seller=seller,
        meeting__start_time__gte=date_range.start,
        meeting__start_time__lt=date_range.end,
    )
    averages = {name: _score_average(name) for name in PERFORMANCE_METRICS}
    averages["overall_score"] = Avg("overall_score")
    daily = (
        rows.annotate(day=TruncDate("meeting__start_time", tzinfo=date_range.tz))
        .values("day")
        .annotate(calls_count=Count("id"), **averages)
        .order_by("day")
    )
    by_day = {row.pop("day"): row for row in daily}
    daily_metrics: dict[str, dict[str, Any] | None] = {}
    for day in date_range.dates():
        row = by_day.get(day)
        daily_metrics[day.isoformat()] = (
            None
            if row is None
            else {
                **{name: _rounded(row[name]) for name in (*PERFORMANCE_METRICS, "overall_score")},
                "calls_count": row["calls_count"],
            }
        )
    total = rows.aggregate(**averages)
    return {
        "daily_metrics": daily_metrics,
        "period_summary": {
            "total_calls": sum(row["calls_count"] for row in by_day.values()),
            "days_with_data": len(by_day),
            "days_in_range": date_range.days,
            "overall_averages": {name: _rounded(value) for name, value in total.items()},
        },
    }


def performance_user_calls(*, seller: Seller, date_range: DateRange):
    """Analysed calls of ``seller`` (job completed, performance stored), newest first."""
    return (
        CallPerformance.objects.filter(
            meeting__seller=seller,
            meeting__job__status=JobStatus.COMPLETED,
            meeting__start_time__gte=date_range.start,
            meeting__start_time__lt=date_range.end,
        )
        .select_related("meeting__buyer")
        .only(
            *PERFORMANCE_METRICS,
            *ANALYSIS_FIELDS,
            "overall_score",
            "analyzed_at",
            "meeting__title",
            "meeting__start_time",
            "meeting__end_time",
            "meeting__detected_products",
            "meeting__buyer__name",
            "meeting__buyer__phone",
        )
        .order_by("-meeting__start_time", "pk")
    )


def performance_call_row(*, performance: CallPerformance) -> dict[str, Any]:
    meeting = performance.meeting
    payload = performance_payload(performance=performance)
    return {
        "meeting_id": meeting.pk,
        "call_title": meeting.title,
        "buyer_name": meeting.buyer.name or None,
        "buyer_phone": phone_raw(meeting.buyer.phone),
        "call_start_time": meeting.start_time,
        "duration_minutes": round(meeting.duration_seconds / 60, 2),
        "detected_products": meeting.detected_products,
        "overall_score": performance.overall_score,
        "analyzed_at": performance.analyzed_at,
        "metrics": payload["metrics"],
        "analysis": payload["analysis"],
    }
