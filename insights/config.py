"""The call-next weights and warning thresholds, per agency (``Agency.settings["insights"]``).

Every figure has a default here; an agency overrides any of them, e.g.
``{"insights": {"cadence_days": 3, "weights": {"overdue_action": 40}}}``. Unknown keys and
values that are not positive numbers are ignored, so a bad setting never breaks a refresh.
"""

from dataclasses import dataclass, field
from typing import Any

# Points each signal adds to a buyer's call-next score (see README "Insights").
DEFAULT_WEIGHTS: dict[str, float] = {
    "overdue_action": 30,  # a pending action past its due date ...
    "overdue_per_day": 2,  # ... plus this per day overdue, up to overdue_cap
    "overdue_cap": 60,
    "due_soon": 20,  # a pending action due within due_soon_days
    "stage_negotiation": 20,  # the latest deal stage
    "stage_stakeholder": 15,
    "stage_demo": 10,
    "stage_discovery": 5,
    "lifecycle_negotiating": 10,  # the buyer's lifecycle, where the buyer book records one
    "lifecycle_prospect": 5,
    "lifecycle_lead": 3,
    "cadence_per_period": 10,  # each cadence period past the agency's cadence, up to cadence_cap
    "cadence_cap": 30,
    "unanswered_call": 5,  # each unanswered outgoing call since the last answered one, up to cap
    "unanswered_cap": 15,
    "open_objection": 5,  # each objection raised in the latest call, up to objection_cap
    "objection_cap": 15,
    "negative_trend": 10,  # sentiment falling over the latest calls
}


@dataclass(frozen=True)
class InsightSettings:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    cadence_days: float = 7  # how often an open deal should hear from its seller
    due_soon_days: float = 2
    no_activity_days: float = 30  # warning: no call for this long in an open stage
    stalled_days: float = 45  # warning: the same deal stage for this long
    ghosted_calls: int = 3  # warning: this many unanswered outgoing calls in a row
    trend_calls: int = 3  # the latest calls whose sentiment makes a trend
    trend_drop: float = 0.3  # how far sentiment must fall over them


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def insight_settings_for(agency_settings: dict[str, Any] | None) -> InsightSettings:
    raw = (agency_settings or {}).get("insights")
    if not isinstance(raw, dict):
        return InsightSettings()
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in (raw.get("weights") or {}).items():
        if name in weights and (number := _positive(value)) is not None:
            weights[name] = number
    overrides: dict[str, Any] = {}
    for name in ("cadence_days", "due_soon_days", "no_activity_days", "stalled_days", "trend_drop"):
        if (number := _positive(raw.get(name))) is not None:
            overrides[name] = number
    for name in ("ghosted_calls", "trend_calls"):
        if (number := _positive(raw.get(name))) is not None and number >= 2:
            overrides[name] = int(number)
    return InsightSettings(weights=weights, **overrides)
