"""Reads for the daily rollups: each (seller, local day)'s figures, counted from the calls."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from agencies.deleted import live_buyer_q, live_number_q
from calls.models import AppCallStatus, CallType, MobileAppCall
from meetings.history_selectors import meeting_twin_exists
from meetings.models import Meeting


@dataclass
class DayFigures:
    outgoing_answered: int = 0
    outgoing_unanswered: int = 0
    incoming_answered: int = 0
    incoming_unanswered: int = 0
    missed: int = 0
    not_answered: int = 0
    meetings: int = 0
    talk_seconds: int = 0
    phones: set[str] = field(default_factory=set)
    scored_meetings: int = 0
    score_sum: float = 0.0
    undisclosed: int = 0

    def count(self, *, outgoing: bool, answered: bool) -> None:
        if outgoing:
            if answered:
                self.outgoing_answered += 1
            else:
                self.outgoing_unanswered += 1
        elif answered:
            self.incoming_answered += 1
        else:
            self.incoming_unanswered += 1

    def values(self) -> dict:
        return {
            "outgoing_answered": self.outgoing_answered,
            "outgoing_unanswered": self.outgoing_unanswered,
            "incoming_answered": self.incoming_answered,
            "incoming_unanswered": self.incoming_unanswered,
            "missed": self.missed,
            "not_answered": self.not_answered,
            "meetings": self.meetings,
            "talk_seconds": self.talk_seconds,
            "leads": len(self.phones),
            "lead_phones": ",".join(sorted(self.phones)),
            "scored_meetings": self.scored_meetings,
            "score_sum": round(self.score_sum, 6),
            "undisclosed": self.undisclosed,
        }


def daily_figures(
    *,
    agency_id: uuid.UUID,
    tz: ZoneInfo,
    seller_ids: Iterable[uuid.UUID],
    start: datetime,
    end: datetime,
) -> dict[tuple[uuid.UUID, date], DayFigures]:
    """Each (seller, local day)'s figures over the calls starting in ``[start, end)``.

    The counting rules of ``rollups.analytics`` (which the hand-checked and property tests hold
    this to): meetings in their direction, answered; unlinked app calls that are not a meeting's
    twin by status; leads the distinct phones of answered calls.
    """
    seller_ids = list(seller_ids)
    figures: dict[tuple[uuid.UUID, date], DayFigures] = defaultdict(DayFigures)
    meetings = (
        Meeting.objects.filter(
            seller_id__in=seller_ids,
            start_time__gte=start,
            start_time__lt=end,
            direction__in=[CallType.INCOMING, CallType.OUTGOING],
        )
        .filter(live_buyer_q(agency_id=agency_id))  # a deleted buyer's calls are hidden
        .values_list(
            "seller_id",
            "start_time",
            "end_time",
            "direction",
            "buyer__phone",
            "performance__overall_score",
            "recording_disclosed",
        )
        .order_by()
    )
    for seller_id, started, ended, direction, phone, score, disclosed in meetings.iterator(
        chunk_size=5000
    ):
        day = figures[(seller_id, started.astimezone(tz).date())]
        day.count(outgoing=direction == CallType.OUTGOING, answered=True)
        day.meetings += 1
        day.undisclosed += disclosed is False
        if ended is not None:
            day.talk_seconds += max(0, int((ended - started).total_seconds()))
        if phone:
            day.phones.add(phone.replace(",", ";"))  # the list's separator
        if score is not None:
            day.scored_meetings += 1
            day.score_sum += score
    app_calls = (
        MobileAppCall.objects.filter(
            seller_id__in=seller_ids,
            meeting__isnull=True,  # linked calls are counted through their meeting
            start_time__gte=start,
            start_time__lt=end,
        )
        .filter(
            ~meeting_twin_exists(agency_id=agency_id, start=start, end=end),
            live_number_q(agency_id=agency_id),
        )
        .values_list("seller_id", "start_time", "status", "call_type", "buyer_number", "duration")
        .order_by()
    )
    for seller_id, started, status, call_type, phone, duration in app_calls.iterator(
        chunk_size=5000
    ):
        day = figures[(seller_id, started.astimezone(tz).date())]
        answered = status == AppCallStatus.PROCESSING
        if answered:
            outgoing = call_type == CallType.OUTGOING
            day.talk_seconds += duration or 0
            if phone:
                day.phones.add(phone.replace(",", ";"))
        elif status == AppCallStatus.NOT_ANSWERED:
            outgoing = call_type != CallType.INCOMING
            day.not_answered += 1
        else:  # Missed / Rejected, whatever the call type
            outgoing = False
            day.missed += 1
        day.count(outgoing=outgoing, answered=answered)
    return figures
