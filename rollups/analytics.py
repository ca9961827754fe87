"""Call analytics: counts of answered and unanswered calls and leads, per seller and over time.

Counting rules (one real call counts once):
- a meeting is an answered call, in its ``direction`` (incoming / outgoing);
- an app call linked to a meeting is that meeting and is not counted again; nor is an unlinked
  app call that call history hides as a meeting's twin
  (``meetings.history_selectors.meeting_twin_exists``);
- an unlinked app call with status ``Processing`` is an answered call in its ``call_type``;
  ``Not Answered`` is an unanswered outgoing call; ``Missed`` / ``Rejected`` are unanswered
  incoming calls (whatever the ``call_type``: the old backend dropped ``missed``/``rejected``);
- leads are the distinct buyer phones of answered calls.

Who is counted (the contract): ``total_call_data`` and ``seller_call_analytics`` count non-manager
sellers only; a manager's own calls, or a manager among ``team_member_ids``, are left out.

Series are hourly when the period asked for spans at most three calendar days (the contract's
``(end - start).days <= 2``), else daily. A named time frame's period is the whole frame
(``this_week`` is seven days, so always daily, even on a Monday) although its buckets stop at today;
explicit ``start_date`` / ``end_date`` are the period themselves.

Where the figures come from:
- whole days (daily series, per-seller figures of any range): the daily rollups
  (``rollups.models.SellerDailyCalls``, one row per seller and agency-local day, kept equal to
  the calls by ``rollups.services``), so a view reads at most one row per seller and day
  whatever the number of calls; leads over several days or sellers are the union of each row's
  lead phones, so a buyer called on two days (or by two sellers) is still one lead;
- hourly series: one grouped statement over both sources (meetings, app calls), bucketed in SQL
  by hour in the agency's timezone (``_call_totals``), which is also the rules' reference the
  rollups are tested against. Never a query per hour, day or seller.
"""

import uuid
from dataclasses import astuple, dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Case, F, Q, Sum, TextField, Value, When
from django.db.models.functions import TruncHour

from agencies.deleted import live_buyer_q, live_number_q
from calls.models import AppCallStatus, CallType, MobileAppCall
from chirpworks.exceptions import ApplicationError
from chirpworks.phones import phone_denorm, phone_raw
from chirpworks.timeframes import DateRange
from meetings.history_selectors import meeting_twin_exists
from meetings.models import Meeting
from rollups.models import SellerDailyCalls
from rollups.services import rollups_flush_pending
from sellers.access_selectors import (
    SellerScope,
    scope_requested,
    scope_team,
    scope_visible,
    seller_get_visible,
)
from sellers.models import Role, Seller

HOURLY_MAX_DAYS = 3  # the contract: hourly when (end - start).days <= 2, else daily
MAX_DAYS = 90
DEFAULT_DAYS_BACK = 7


@dataclass
class CallCounts:
    outgoing_answered: int = 0
    outgoing_unanswered: int = 0
    incoming_answered: int = 0
    incoming_unanswered: int = 0
    leads: int = 0  # distinct buyer phones of the answered calls
    undisclosed: int = 0  # meetings whose seller never said the call is recorded

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
            "unique_leads_engaged": self.leads,
        }


def _hourly(date_range: DateRange) -> bool:
    """From the whole period: ``this_week`` on a Tuesday is two days so far, still daily."""
    return date_range.period_days <= HOURLY_MAX_DAYS


_ONE, _ZERO = Value(1), Value(0)

# Counted per group over the calls' (key, outgoing, answered, phone) rows; portable SQL.
_AGGREGATES = """
    SUM(call_outgoing * call_answered),
    SUM(call_outgoing * (1 - call_answered)),
    SUM((1 - call_outgoing) * call_answered),
    SUM((1 - call_outgoing) * (1 - call_answered)),
    COUNT(DISTINCT CASE WHEN call_answered = 1 AND call_phone <> '' THEN call_phone END),
    SUM(call_undisclosed)
"""


def _call_rows(
    *, agency_id: uuid.UUID, seller_ids: list[uuid.UUID], date_range: DateRange, key: Any
) -> tuple[str, list[Any]]:
    """SQL of one ``(key, outgoing, answered, phone)`` row per call, both sources together."""
    columns = ("call_key", "call_outgoing", "call_answered", "call_phone", "call_undisclosed")
    is_outgoing = Case(When(direction=CallType.OUTGOING, then=_ONE), default=_ZERO)
    meetings = (
        Meeting.objects.filter(
            seller_id__in=seller_ids,
            start_time__gte=date_range.start,
            start_time__lt=date_range.end,
            direction__in=[CallType.INCOMING, CallType.OUTGOING],
        )
        .filter(live_buyer_q(agency_id=agency_id))  # a deleted buyer's calls are hidden
        .annotate(
            call_key=key,
            call_outgoing=is_outgoing,
            call_answered=_ONE,
            call_phone=F("buyer__phone"),
            call_undisclosed=Case(When(recording_disclosed=False, then=_ONE), default=_ZERO),
        )
        .values_list(*columns)
        .order_by()
    )
    # Processing: answered, in its call type; Not Answered: unanswered, outgoing unless the
    # call type says incoming; Missed / Rejected (whatever the call type): unanswered incoming.
    app_outgoing = Q(status=AppCallStatus.PROCESSING, call_type=CallType.OUTGOING) | (
        Q(status=AppCallStatus.NOT_ANSWERED) & ~Q(call_type=CallType.INCOMING)
    )
    app_calls = (
        MobileAppCall.objects.filter(
            seller_id__in=seller_ids,
            meeting__isnull=True,  # linked calls are counted through their meeting
            start_time__gte=date_range.start,
            start_time__lt=date_range.end,
        )
        # and so are twins, wherever they fall
        .filter(
            ~meeting_twin_exists(agency_id=agency_id, start=date_range.start, end=date_range.end),
            live_number_q(agency_id=agency_id),
        )
        .annotate(
            call_key=key,
            call_outgoing=Case(When(app_outgoing, then=_ONE), default=_ZERO),
            call_answered=Case(When(status=AppCallStatus.PROCESSING, then=_ONE), default=_ZERO),
            call_phone=F("buyer_number"),
            call_undisclosed=_ZERO,
        )
        .values_list(*columns)
        .order_by()
    )
    meeting_sql, meeting_params = meetings.query.sql_with_params()
    app_sql, app_params = app_calls.query.sql_with_params()
    return f"{meeting_sql} UNION ALL {app_sql}", [*meeting_params, *app_params]


def _seller_ids(scope: SellerScope) -> list[uuid.UUID]:
    if scope.seller_ids is None:
        return list(scope.sellers().values_list("pk", flat=True))
    return list(scope.seller_ids)


class _JoinedText(Aggregate):
    """The group's texts joined with commas (PostgreSQL STRING_AGG, SQLite GROUP_CONCAT)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _rollup_counts(
    *, scope: SellerScope, date_range: DateRange, by: str
) -> tuple[dict[Any, CallCounts], CallCounts]:
    """Counts per ``by`` (``"day"`` or ``"seller_id"``) and over all, from the daily rollups.

    One grouped statement over at most one row per seller and day; each group's lead phones
    come joined, and leads are the size of their union (per group, and over all groups).
    """
    groups: dict[Any, CallCounts] = {}
    total = CallCounts()
    seller_ids = _seller_ids(scope)
    if not seller_ids:
        return groups, total
    # This thread's own uncommitted (or not yet refreshed) writes first: read-your-writes.
    rollups_flush_pending(inline=True)
    rows = (
        SellerDailyCalls.objects.filter(
            seller_id__in=seller_ids,
            day__gte=date_range.start_date,
            day__lte=date_range.end_date,
        )
        .values(by)
        .annotate(
            out_ans=Sum("outgoing_answered"),
            out_unans=Sum("outgoing_unanswered"),
            in_ans=Sum("incoming_answered"),
            in_unans=Sum("incoming_unanswered"),
            undisclosed=Sum("undisclosed"),
            phones=_JoinedText("lead_phones"),
        )
        .order_by()
        .values_list(by, "out_ans", "out_unans", "in_ans", "in_unans", "undisclosed", "phones")
    )
    every_phone: set[str] = set()
    for key, out_ans, out_unans, in_ans, in_unans, undisclosed, joined in rows:
        phones = set(joined.split(",")) if joined else set()
        phones.discard("")  # a day without leads stores ""
        groups[key] = CallCounts(out_ans, out_unans, in_ans, in_unans, len(phones), undisclosed)
        total.undisclosed += undisclosed
        total.outgoing_answered += out_ans
        total.outgoing_unanswered += out_unans
        total.incoming_answered += in_ans
        total.incoming_unanswered += in_unans
        every_phone |= phones
    total.leads = len(every_phone)
    return groups, total


def _call_totals(
    *, scope: SellerScope, date_range: DateRange, key: Any, with_total: bool
) -> tuple[dict[Any, CallCounts], CallCounts]:
    """Counts per ``key`` value (and over everything): one statement, whatever the row count.

    The calls of both sources are grouped in SQL; counting distinct leads needs every call's
    phone, so PostgreSQL and SQLite run the same ``COUNT(DISTINCT ...)`` over a UNION ALL.
    """
    seller_ids = _seller_ids(scope)
    groups: dict[Any, CallCounts] = {}
    total = CallCounts()
    if not seller_ids:
        return groups, total
    rows_sql, params = _call_rows(
        agency_id=scope.agency_id, seller_ids=seller_ids, date_range=date_range, key=key
    )
    # Only the ORM's own compiled SQL and constants are interpolated; values are parameters.
    sql = (
        "WITH calls (call_key, call_outgoing, call_answered, call_phone, call_undisclosed) "
        f"AS ({rows_sql}) "
    )
    sql += f"SELECT 0, call_key, {_AGGREGATES} FROM calls GROUP BY call_key"  # noqa: S608
    if with_total:
        sql += f" UNION ALL SELECT 1, NULL, {_AGGREGATES} FROM calls"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for is_total, value, *figures in cursor.fetchall():
            counts = CallCounts(*(int(figure or 0) for figure in figures))
            if is_total:
                total = counts
            else:
                groups[value] = counts
    return groups, total


def _bucket_of(value: Any, bucket: str, tz: tzinfo) -> date | datetime:
    """A bucket as the ORM's Trunc gives it: PostgreSQL returns dates and naive local times,
    SQLite text."""
    if bucket == "hour":
        if not isinstance(value, datetime):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=tz)
    return value if isinstance(value, date) else date.fromisoformat(value)


def _bucket_index(value: Any, date_range: DateRange, bucket: str) -> int:
    if bucket == "hour":
        return int((value - date_range.start).total_seconds() // 3600)
    return (value - date_range.start_date).days


def call_series(*, scope: SellerScope, date_range: DateRange) -> dict[str, Any]:
    """``{sales_data: {hourN|dayN: {...}}, total_data: {...}}`` covering the whole range."""
    bucket = "hour" if _hourly(date_range) else "day"
    if bucket == "hour":
        count = int((date_range.end - date_range.start) / timedelta(hours=1))
        key = TruncHour("start_time", tzinfo=date_range.tz)
        groups, total = _call_totals(scope=scope, date_range=date_range, key=key, with_total=True)
    else:
        count = date_range.days
        groups, total = _rollup_counts(scope=scope, date_range=date_range, by="day")
    buckets = [CallCounts() for _ in range(count)]
    for value, counts in groups.items():
        index = _bucket_index(_bucket_of(value, bucket, date_range.tz), date_range, bucket)
        if 0 <= index < count:
            # Two local hours share an index only around a half-hour DST shift (Lord Howe):
            # their calls add up, their leads too.
            buckets[index] = CallCounts(
                *(a + b for a, b in zip(astuple(buckets[index]), astuple(counts), strict=True))
            )
    return {
        "sales_data": {
            f"{bucket}{index}": {
                "outgoing_calls": counts.outgoing,
                "incoming_calls": counts.incoming,
                "unique_leads_engaged": counts.leads,
            }
            for index, counts in enumerate(buckets)
        },
        "total_data": {
            "total_outgoing_calls": total.outgoing,
            "total_incoming_calls": total.incoming,
            "total_calls": total.outgoing + total.incoming,
            "unique_leads_engaged": total.leads,
            "calls_without_recording_disclosure": total.undisclosed,
        },
    }


def call_counts_by_seller(
    *, scope: SellerScope, date_range: DateRange
) -> dict[uuid.UUID, CallCounts]:
    groups, _ = _rollup_counts(scope=scope, date_range=date_range, by="seller_id")
    return groups


def _without_managers(scope: SellerScope) -> SellerScope:
    """The scope's non-manager sellers: the contract leaves managers out of agency figures."""
    sellers = scope.sellers().exclude(role=Role.MANAGER)
    return SellerScope(
        agency_id=scope.agency_id, seller_ids=frozenset(sellers.values_list("pk", flat=True))
    )


def analytics_total_call_data(
    *, actor: Seller, date_range: DateRange, team_member_ids: list[uuid.UUID] | None = None
) -> dict[str, Any]:
    """One series over the non-manager sellers the caller may see (or the given team members)."""
    scope = (
        scope_requested(actor=actor, team_member_ids=team_member_ids)
        if team_member_ids
        else scope_visible(actor=actor)
    )
    return call_series(scope=_without_managers(scope), date_range=date_range)


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
                "leads_engaged": counts.leads,
            },
        }
        for seller, counts in _sellers_with_counts(scope=scope, date_range=date_range)
    ]


def analytics_seller_call_analytics(
    *, actor: Seller, date_range: DateRange, team_member_ids: list[uuid.UUID] | None
) -> list[dict[str, Any]]:
    """One row per requested team member; managers among them are skipped (the contract)."""
    if not team_member_ids:
        raise ApplicationError("team_member_ids is required", code="team_member_ids_required")
    scope = _without_managers(scope_requested(actor=actor, team_member_ids=team_member_ids))
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
