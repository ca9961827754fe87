"""What the insights rules read about one buyer: plain values loaded in a few bulk queries."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

WON, LOST = "Likely Won", "Likely Lost"
CLOSED_STAGES = frozenset({WON, LOST})
CLOSED_LIFECYCLES = frozenset({"customer", "lost"})
NEGOTIATION = "Negotiation / Approval"

# Words that mean money was talked about (Indian-English sales calls: lakh, EMI, premium, fees).
PRICING_TALK = re.compile(
    r"\b(price|prices|pricing|cost|costs|rate|rates|quote|quotation|discount|offer|premium|"
    r"emi|fee|fees|budget|lakh|lakhs|crore|rupees?|rs\.?|inr|payment|pay|amount|negotiat\w*)\b"
    r"|₹",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MeetingFact:
    id: uuid.UUID
    seller_id: uuid.UUID
    start_time: datetime
    deal_stage: str | None
    stage_signals: tuple[str, ...]
    risks: tuple[dict[str, Any], ...]
    sentiment: float | None
    competitors: tuple[str, ...]
    talks_pricing: bool | None = None  # known only for the meetings the pricing rule reads


@dataclass(frozen=True)
class ActionFact:
    id: uuid.UUID
    meeting_id: uuid.UUID
    title: str
    due_date: datetime | None
    is_suggestion: bool


@dataclass(frozen=True)
class AppCallFact:
    id: uuid.UUID
    start_time: datetime
    answered: bool
    outgoing: bool


@dataclass
class BuyerFacts:
    buyer_id: uuid.UUID
    agency_id: uuid.UUID
    owner_id: uuid.UUID | None
    last_contacted_at: datetime | None
    lifecycle: str | None
    meetings: list[MeetingFact] = field(default_factory=list)  # oldest first
    pending_actions: list[ActionFact] = field(default_factory=list)
    app_calls: list[AppCallFact] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> MeetingFact | None:
        return self.meetings[-1] if self.meetings else None

    @property
    def stage(self) -> str | None:
        staged = [m for m in self.meetings if m.deal_stage]
        return staged[-1].deal_stage if staged else None

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES and self.lifecycle not in CLOSED_LIFECYCLES

    def stage_streak(self) -> list[MeetingFact]:
        """The latest meetings that all carry the current deal stage (oldest first)."""
        stage, streak = self.stage, []
        for meeting in reversed(self.meetings):
            if meeting.deal_stage is None:
                continue
            if meeting.deal_stage != stage:
                break
            streak.append(meeting)
        return streak[::-1]

    def last_contact(self) -> datetime | None:
        times = [t for t in (self.last_contacted_at, self.latest and self.latest.start_time) if t]
        return max(times) if times else None

    def unanswered_outgoing_since_answered(self) -> list[AppCallFact]:
        """Unanswered outgoing calls in a row, after the last answered call (oldest first)."""
        answered_at = [m.start_time for m in self.meetings]
        answered_at += [c.start_time for c in self.app_calls if c.answered]
        since = max(answered_at) if answered_at else None
        run: list[AppCallFact] = []
        for call in self.app_calls:
            if since is not None and call.start_time <= since:
                continue
            if call.answered:
                run = []
            elif call.outgoing:
                run.append(call)
        return run


def pricing_talked(text: str) -> bool:
    return bool(PRICING_TALK.search(text or ""))
