from datetime import timedelta
from statistics import fmean
from typing import Any

from django.utils import timezone

from meetings.models import PERFORMANCE_METRICS, CallPerformance
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
