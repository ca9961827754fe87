"""Writes on call performance: scores from an analysis, overrides, reviews, deletion."""

from datetime import datetime
from statistics import fmean
from typing import Any

from django.db import transaction
from django.utils import timezone

from chirpworks.exceptions import ApplicationError, ForbiddenError, NotFoundError
from meetings.models import (
    PERFORMANCE_METRICS,
    CallPerformance,
    CallScoreReview,
    Meeting,
    MetricOverride,
)
from sellers.access_selectors import seller_can_manage
from sellers.models import Seller


def performance_delete(*, performance: CallPerformance) -> None:
    with transaction.atomic():
        performance.delete()


def call_score_review(
    *, actor: Seller, meeting: Meeting, status: str, comment: str
) -> CallScoreReview:
    """The call's seller acknowledges or disputes its score; a later review replaces theirs."""
    if meeting.seller_id != actor.pk:
        raise ForbiddenError("Only the call's seller may review its score", code="not_your_call")
    if not CallPerformance.objects.filter(meeting=meeting).exists():
        raise NotFoundError("This call has no score to review yet", code="performance_not_found")
    review, _ = CallScoreReview.objects.update_or_create(
        meeting=meeting, seller=actor, defaults={"status": status, "comment": comment}
    )
    return review


def metric_override(
    *, actor: Seller, meeting: Meeting, metric: str, score: float, reason: str
) -> CallPerformance:
    """A manager (of the call's seller) or admin sets one metric's score; kept over re-analysis."""
    if metric not in PERFORMANCE_METRICS:
        raise ApplicationError(f"Unknown metric: {metric}", code="invalid_metric")
    if not seller_can_manage(actor=actor, seller_id=meeting.seller_id):
        raise ForbiddenError(
            "Only an admin or the seller's manager may override a score", code="not_allowed"
        )
    with transaction.atomic():
        performance = CallPerformance.objects.select_for_update().filter(meeting=meeting).first()
        if performance is None:
            raise NotFoundError(
                "This call has no score to override yet", code="performance_not_found"
            )
        MetricOverride.objects.update_or_create(
            meeting=meeting,
            metric=metric,
            defaults={"score": score, "reason": reason, "overridden_by": actor},
        )
        performance, _ = call_performance_upsert(
            meeting=meeting, data={}, analyzed_at=performance.analyzed_at
        )
    return performance


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
