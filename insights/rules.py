"""The call-next score and the deal warnings of one buyer: pure functions of its facts.

Every point of a score and every warning carries its reason and evidence (meeting, action or
call ids, the quote that signalled it, the date), so a seller sees why a buyer is on top.
"""

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from insights.config import InsightSettings
from insights.facts import NEGOTIATION, BuyerFacts
from insights.models import WarningKind

_STAGE_WEIGHTS = {
    "Negotiation / Approval": "stage_negotiation",
    "Stakeholder Alignment": "stage_stakeholder",
    "Solution Presentation / Demo": "stage_demo",
    "Discovery & Lead Qualification": "stage_discovery",
}
_LIFECYCLE_WEIGHTS = {
    "negotiating": "lifecycle_negotiating",
    "prospect": "lifecycle_prospect",
    "lead": "lifecycle_lead",
}


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    points: float
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "text": self.text,
            "points": self.points,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Warning:
    kind: str
    since: datetime
    detail: str
    evidence: dict[str, Any]


def _day(value: datetime) -> str:
    return value.date().isoformat()


def _days(delta: timedelta) -> int:
    return max(0, math.floor(delta.total_seconds() / 86400))


def _overdue(facts: BuyerFacts, now: datetime) -> list:
    due = [a for a in facts.pending_actions if a.due_date and a.due_date < now]
    return sorted(due, key=lambda a: a.due_date)


def _negative_trend(facts: BuyerFacts, settings: InsightSettings) -> list | None:
    """The latest ``trend_calls`` meetings when their sentiment only fell, by ``trend_drop``."""
    scored = [m for m in facts.meetings if m.sentiment is not None][-settings.trend_calls :]
    if len(scored) < settings.trend_calls:
        return None
    values = [m.sentiment for m in scored]
    falling = all(b <= a for a, b in itertools.pairwise(values))
    return scored if falling and values[0] - values[-1] >= settings.trend_drop else None


def next_action_of(facts: BuyerFacts):
    """The pending action to do next: agreed actions before suggestions, earliest due first."""
    if not facts.pending_actions:
        return None

    def key(action):
        due = action.due_date
        return (action.is_suggestion, due is None, due.timestamp() if due else 0.0)

    return min(facts.pending_actions, key=key)


def call_next_reasons(facts: BuyerFacts, settings: InsightSettings, now: datetime) -> list[Reason]:
    w = settings.weights
    reasons: list[Reason] = []
    overdue = _overdue(facts, now)
    if overdue:
        oldest = overdue[0]
        days = _days(now - oldest.due_date)
        points = w["overdue_action"] + min(w["overdue_cap"], w["overdue_per_day"] * days)
        more = f" (and {len(overdue) - 1} more)" if len(overdue) > 1 else ""
        reasons.append(
            Reason(
                "overdue_action",
                f"'{oldest.title}' was due {_day(oldest.due_date)}, {days} days ago{more}",
                points,
                {
                    "action_id": str(oldest.id),
                    "meeting_id": str(oldest.meeting_id),
                    "date": oldest.due_date.isoformat(),
                },
            )
        )
    soon_until = now + timedelta(days=settings.due_soon_days)
    soon = sorted(
        (a for a in facts.pending_actions if a.due_date and now <= a.due_date <= soon_until),
        key=lambda a: a.due_date,
    )
    if soon:
        first = soon[0]
        reasons.append(
            Reason(
                "due_soon",
                f"'{first.title}' is due {_day(first.due_date)}",
                w["due_soon"],
                {
                    "action_id": str(first.id),
                    "meeting_id": str(first.meeting_id),
                    "date": first.due_date.isoformat(),
                },
            )
        )
    if not facts.is_open:
        return reasons  # a won or lost deal only keeps its promises
    stage = facts.stage
    if stage in _STAGE_WEIGHTS:
        staged = facts.stage_streak()[-1]
        reasons.append(
            Reason(
                "deal_stage",
                f"Deal stage: {stage}",
                w[_STAGE_WEIGHTS[stage]],
                {
                    "meeting_id": str(staged.id),
                    "date": staged.start_time.isoformat(),
                    "quote": staged.stage_signals[0] if staged.stage_signals else "",
                },
            )
        )
    if facts.lifecycle in _LIFECYCLE_WEIGHTS:
        reasons.append(
            Reason(
                "lifecycle",
                f"Lifecycle: {facts.lifecycle}",
                w[_LIFECYCLE_WEIGHTS[facts.lifecycle]],
            )
        )
    last = facts.last_contact()
    if last is not None:
        days = (now - last).total_seconds() / 86400
        if days > settings.cadence_days:
            periods = days / settings.cadence_days - 1
            points = round(min(w["cadence_cap"], w["cadence_per_period"] * periods), 1)
            evidence = {"date": last.isoformat()}
            if facts.latest:
                evidence["meeting_id"] = str(facts.latest.id)
            reasons.append(
                Reason(
                    "cadence",
                    f"No contact for {math.floor(days)} days (cadence: every "
                    f"{settings.cadence_days:g} days)",
                    points,
                    evidence,
                )
            )
    unanswered = facts.unanswered_outgoing_since_answered()
    if unanswered:
        reasons.append(
            Reason(
                "unanswered_calls",
                f"{len(unanswered)} unanswered call{'s' if len(unanswered) > 1 else ''} since "
                "the last conversation",
                min(w["unanswered_cap"], w["unanswered_call"] * len(unanswered)),
                {
                    "app_call_ids": [str(c.id) for c in unanswered],
                    "date": unanswered[-1].start_time.isoformat(),
                },
            )
        )
    latest = facts.latest
    if latest and latest.risks:
        kinds = sorted({str(r.get("risk")) for r in latest.risks})
        reasons.append(
            Reason(
                "open_objections",
                f"Objections raised in the last call: {', '.join(kinds)}",
                min(w["objection_cap"], w["open_objection"] * len(latest.risks)),
                {
                    "meeting_id": str(latest.id),
                    "date": latest.start_time.isoformat(),
                    "quote": str(latest.risks[0].get("risk_signal") or ""),
                },
            )
        )
    trend = _negative_trend(facts, settings)
    if trend:
        reasons.append(
            Reason(
                "negative_trend",
                "Sentiment fell over the last "
                f"{len(trend)} calls ({trend[0].sentiment:+.2f} to {trend[-1].sentiment:+.2f})",
                w["negative_trend"],
                {
                    "meeting_ids": [str(m.id) for m in trend],
                    "date": trend[-1].start_time.isoformat(),
                },
            )
        )
    return reasons


def deal_warnings(facts: BuyerFacts, settings: InsightSettings, now: datetime) -> list[Warning]:
    found: list[Warning] = []
    overdue = _overdue(facts, now)
    if overdue:
        oldest = overdue[0]
        found.append(
            Warning(
                WarningKind.OVERDUE_ACTION,
                oldest.due_date,
                f"{len(overdue)} overdue action{'s' if len(overdue) > 1 else ''}; the oldest, "
                f"'{oldest.title}', was due {_day(oldest.due_date)}",
                {
                    "action_id": str(oldest.id),
                    "meeting_id": str(oldest.meeting_id),
                    "action_ids": [str(a.id) for a in overdue],
                    "date": oldest.due_date.isoformat(),
                },
            )
        )
    unanswered = facts.unanswered_outgoing_since_answered()
    if len(unanswered) >= settings.ghosted_calls:
        found.append(
            Warning(
                WarningKind.GHOSTED,
                unanswered[settings.ghosted_calls - 1].start_time,
                f"{len(unanswered)} outgoing calls in a row went unanswered",
                {
                    "app_call_ids": [str(c.id) for c in unanswered],
                    "date": unanswered[-1].start_time.isoformat(),
                },
            )
        )
    if not facts.meetings or not facts.is_open:
        return found
    latest = facts.latest
    last = facts.last_contact()
    quiet = timedelta(days=settings.no_activity_days)
    if last is not None and now - last >= quiet:
        found.append(
            Warning(
                WarningKind.NO_ACTIVITY,
                last + quiet,
                f"No call for {_days(now - last)} days with the deal open",
                {"meeting_id": str(latest.id), "date": last.isoformat()},
            )
        )
    streak = facts.stage_streak()
    stalled = timedelta(days=settings.stalled_days)
    if streak and now - streak[0].start_time >= stalled:
        found.append(
            Warning(
                WarningKind.STALLED,
                streak[0].start_time + stalled,
                f"In '{facts.stage}' for {_days(now - streak[0].start_time)} days",
                {
                    "meeting_ids": [str(m.id) for m in streak],
                    "date": streak[0].start_time.isoformat(),
                },
            )
        )
    mentioned = [
        str(r.get("risk_signal") or "") for r in latest.risks if r.get("risk") == "competitor"
    ]
    if latest.competitors or mentioned:
        names = ", ".join(latest.competitors) or "a competitor"
        found.append(
            Warning(
                WarningKind.COMPETITOR_MENTIONED,
                latest.start_time,
                f"{names} came up in the last call",
                {
                    "meeting_id": str(latest.id),
                    "date": latest.start_time.isoformat(),
                    "quote": mentioned[0] if mentioned else "",
                    "competitors": list(latest.competitors),
                },
            )
        )
    if facts.stage == NEGOTIATION and streak and not any(m.talks_pricing for m in streak):
        found.append(
            Warning(
                WarningKind.PRICING_NOT_DISCUSSED,
                streak[0].start_time,
                "In negotiation, but no call in this stage talked about price",
                {
                    "meeting_ids": [str(m.id) for m in streak],
                    "date": streak[0].start_time.isoformat(),
                },
            )
        )
    trend = _negative_trend(facts, settings)
    if trend:
        found.append(
            Warning(
                WarningKind.NEGATIVE_TREND,
                trend[-1].start_time,
                f"Sentiment fell over the last {len(trend)} calls "
                f"({trend[0].sentiment:+.2f} to {trend[-1].sentiment:+.2f})",
                {
                    "meeting_ids": [str(m.id) for m in trend],
                    "sentiments": [m.sentiment for m in trend],
                    "date": trend[-1].start_time.isoformat(),
                },
            )
        )
    return found
