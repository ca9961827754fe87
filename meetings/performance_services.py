from django.db import transaction

from chirpworks.exceptions import ApplicationError, ForbiddenError, NotFoundError
from meetings.models import (
    PERFORMANCE_METRICS,
    CallPerformance,
    CallScoreReview,
    Meeting,
    MetricOverride,
)
from meetings.services import call_performance_upsert
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
