"""Call analytics: counts of answered and unanswered calls and leads, per seller and over time.

Counting rules (one real call counts once):
- a meeting is an answered call, in its ``direction`` (incoming / outgoing);
- an app call linked to a meeting is that meeting and is not counted again;
- an unlinked app call with status ``Processing`` is an answered call in its ``call_type``;
  ``Not Answered`` is an unanswered outgoing call; ``Missed`` / ``Rejected`` are unanswered
  incoming calls (whatever the ``call_type``: the old backend dropped ``missed``/``rejected``);
- leads are the distinct buyer phones of answered calls.

Every figure comes from two grouped queries (meetings, app calls), bucketed in SQL by hour or day
in the agency's timezone: never a query per hour, day or seller.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate, TruncHour

from calls.models import AppCallStatus, CallType, MobileAppCall
from chirpworks.exceptions import ApplicationError
from chirpworks.phones import phone_denorm, phone_raw
from chirpworks.timeframes import DateRange
from meetings.models import Meeting
from sellers.access_selectors import (
    SellerScope,
    scope_requested,
    scope_team,
    scope_visible,
    seller_get_visible,
)
from sellers.models import Seller

HOURLY_MAX_SPAN_DAYS = 2  # the contract: hourly when (end - start).days <= 2, else daily
MAX_DAYS = 90
DEFAULT_DAYS_BACK = 7


@dataclass
class CallCounts:
    outgoing_answered: int = 0
    outgoing_unanswered: int = 0
    incoming_answered: int = 0
    incoming_unanswered: int = 0
    leads: set[str] = field(default_factory=set)

    def add(self, *, direction: str, answered: bool, phone: str | None, count: int) -> None:
        name = f"{direction}_{'answered' if answered else 'unanswered'}"
        setattr(self, name, getattr(self, name) + count)
        if answered and phone:
            self.leads.add(phone)

    @property
    def outgoing(self) -> int:
        return self.outgoing_answered + self.outgoing_unanswered

    @property
    def incoming(self) -> int:
        return self.incoming_answered + self.incoming_unanswered

    def metrics(self) -> dict[str, int]:
        return {
            "outgoing_calls": self.outgoing,
            "outgoing_calls_answered": self.outgoing_answered,
            "outgoing_calls_unanswered": self.outgoing_unanswered,
            "incoming_calls": self.incoming,
            "incoming_calls_answered": self.incoming_answered,
            "incoming_calls_unanswered": self.incoming_unanswered,
            "total_calls": self.outgoing + self.incoming,
            "unique_leads_engaged": len(self.leads),
        }


def _hourly(date_range: DateRange) -> bool:
    return (date_range.end_date - date_range.start_date).days <= HOURLY_MAX_SPAN_DAYS


def _call_groups(
    *, scope: SellerScope, date_range: DateRange, by_seller: bool, bucket: str | None
) -> Iterator[tuple[uuid.UUID | None, Any, str, bool, str | None, int]]:
    """``(seller_id, bucket, direction, answered, buyer phone, count)`` groups: two queries."""
    tz = date_range.tz
    truncate = {"hour": TruncHour, "day": TruncDate}.get(bucket or "")
    extra = {"bucket": truncate("start_time", tzinfo=tz)} if truncate else {}
    keys = [*extra, *(["seller_id"] if by_seller else [])]

    meetings = (
        Meeting.objects.filter(
            scope.q(),
            start_time__gte=date_range.start,
            start_time__lt=date_range.end,
            direction__in=[CallType.INCOMING, CallType.OUTGOING],
        )
        .annotate(**extra)
        .values(*keys, "direction", "buyer__phone")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in meetings:
        yield (
            row.get("seller_id"),
            row.get("bucket"),
            row["direction"],
            True,
            row["buyer__phone"],
            row["n"],
        )

    app_calls = (
        MobileAppCall.objects.filter(
            scope.q(),
            meeting__isnull=True,  # linked calls are counted through their meeting
            start_time__gte=date_range.start,
            start_time__lt=date_range.end,
        )
        .annotate(**extra)
        .values(*keys, "call_type", "status", "buyer_number")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in app_calls:
        status = row["status"]
        if status == AppCallStatus.PROCESSING:
            direction = "outgoing" if row["call_type"] == CallType.OUTGOING else "incoming"
            answered = True
        elif status == AppCallStatus.NOT_ANSWERED:
            direction = "incoming" if row["call_type"] == CallType.INCOMING else "outgoing"
            answered = False
        else:  # Missed, Rejected
            direction, answered = "incoming", False
        yield (
            row.get("seller_id"),
            row.get("bucket"),
            direction,
            answered,
            row["buyer_number"],
            row["n"],
        )


def _bucket_index(value: Any, date_range: DateRange, bucket: str) -> int:
    if bucket == "hour":
        return int((value - date_range.start).total_seconds() // 3600)
    return (value - date_range.start_date).days


def call_series(*, scope: SellerScope, date_range: DateRange) -> dict[str, Any]:
    """``{sales_data: {hourN|dayN: {...}}, total_data: {...}}`` covering the whole range."""
    bucket = "hour" if _hourly(date_range) else "day"
    if bucket == "hour":
        count = int((date_range.end - date_range.start) / timedelta(hours=1))
    else:
        count = date_range.days
    buckets = [CallCounts() for _ in range(count)]
    total = CallCounts()
    for _, value, direction, answered, phone, n in _call_groups(
        scope=scope, date_range=date_range, by_seller=False, bucket=bucket
    ):
        index = _bucket_index(value, date_range, bucket)
        if 0 <= index < count:
            buckets[index].add(direction=direction, answered=answered, phone=phone, count=n)
        total.add(direction=direction, answered=answered, phone=phone, count=n)
    return {
        "sales_data": {
            f"{bucket}{index}": {
                "outgoing_calls": counts.outgoing,
                "incoming_calls": counts.incoming,
                "unique_leads_engaged": len(counts.leads),
            }
            for index, counts in enumerate(buckets)
        },
        "total_data": {
            "total_outgoing_calls": total.outgoing,
            "total_incoming_calls": total.incoming,
            "total_calls": total.outgoing + total.incoming,
            "unique_leads_engaged": len(total.leads),
        },
    }


def call_counts_by_seller(
    *, scope: SellerScope, date_range: DateRange
) -> dict[uuid.UUID, CallCounts]:
    counts: dict[uuid.UUID, CallCounts] = defaultdict(CallCounts)
    for seller_id, _, direction, answered, phone, n in _call_groups(
        scope=scope, date_range=date_range, by_seller=True, bucket=None
    ):
        counts[seller_id].add(direction=direction, answered=answered, phone=phone, count=n)
    return counts


def analytics_total_call_data(
    *, actor: Seller, date_range: DateRange, team_member_ids: list[uuid.UUID] | None = None
) -> dict[str, Any]:
    """Everyone the caller may see (or the given team members), as one series."""
    scope = (
        scope_requested(actor=actor, team_member_ids=team_member_ids)
        if team_member_ids
        else scope_visible(actor=actor)
    )
    return call_series(scope=scope, date_range=date_range)


def _sellers_with_counts(
    *, scope: SellerScope, date_range: DateRange
) -> list[tuple[Seller, CallCounts]]:
    sellers = list(scope.sellers().order_by("name", "pk"))
    counts = call_counts_by_seller(scope=scope, date_range=date_range)
    return [(seller, counts.get(seller.pk, CallCounts())) for seller in sellers]


def analytics_team_call_data(
    *, actor: Seller, date_range: DateRange, team_member_ids: list[uuid.UUID] | None = None
) -> list[dict[str, Any]]:
    """Per seller of the caller's team (a manager's team, an admin's agency, else themselves)."""
    scope = scope_team(actor=actor, team_member_ids=team_member_ids)
    return [
        {
            "seller_id": seller.pk,
            "seller_name": seller.name,
            "seller_phone": phone_denorm(seller.phone),
            "metrics": {
                "total_calls_made": counts.outgoing + counts.incoming,
                "outgoing_calls": counts.outgoing,
                "incoming_calls": counts.incoming,
                "leads_engaged": len(counts.leads),
            },
        }
        for seller, counts in _sellers_with_counts(scope=scope, date_range=date_range)
    ]


def analytics_seller_call_analytics(
    *, actor: Seller, date_range: DateRange, team_member_ids: list[uuid.UUID] | None
) -> list[dict[str, Any]]:
    if not team_member_ids:
        raise ApplicationError("team_member_ids is required", code="team_member_ids_required")
    scope = scope_requested(actor=actor, team_member_ids=team_member_ids)
    return [
        {
            "seller_id": seller.pk,
            "seller_name": seller.name,
            "seller_phone": phone_raw(seller.phone),
            "seller_email": seller.email,
            **counts.metrics(),
        }
        for seller, counts in _sellers_with_counts(scope=scope, date_range=date_range)
    ]


def analytics_seller_call_data(
    *, actor: Seller, seller_id: uuid.UUID, date_range: DateRange
) -> dict[str, int]:
    """One seller's eight figures (404 for another agency's seller, 403 outside the team)."""
    seller = seller_get_visible(actor=actor, seller_id=seller_id)
    scope = SellerScope(agency_id=seller.agency_id, seller_ids=frozenset({seller.pk}))
    return (
        call_counts_by_seller(scope=scope, date_range=date_range)
        .get(seller.pk, CallCounts())
        .metrics()
    )


def analytics_seller_series(
    *, actor: Seller, seller_id: uuid.UUID, date_range: DateRange
) -> dict[str, Any]:
    seller = seller_get_visible(actor=actor, seller_id=seller_id)
    scope = SellerScope(agency_id=seller.agency_id, seller_ids=frozenset({seller.pk}))
    return {
        "seller_id": seller.pk,
        "seller_name": seller.name,
        "seller_phone": phone_raw(seller.phone),
        **call_series(scope=scope, date_range=date_range),
    }
