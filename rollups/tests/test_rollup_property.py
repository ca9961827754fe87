"""Property: analytics read from the rollups answer what the call-by-call statement answers.

Random calls of three sellers (one a manager) in a DST-free agency timezone, many of them within
seconds of a local midnight (the rollup's day boundary) and many app calls within seconds of a
meeting (twins, counted once) or linked to one; random whole-day ranges. The reference is
``rollups.analytics._call_totals``: the grouped statement over the calls themselves that served
every range before the rollups and still serves hourly series.
"""

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import F
from django.db.models.functions import TruncDate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.models import AppCallStatus
from chirpworks.timeframes import DateRange
from meetings.tests.factories import make_app_call, make_buyer, make_meeting
from rollups import analytics, services
from sellers.access_selectors import SellerScope
from sellers.models import Role

pytestmark = pytest.mark.django_db

ZONES = ["Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo", "America/Bogota", "UTC"]
FIRST_DAY = date(2025, 6, 1)
PHONES = [f"+9198765000{n:02d}" for n in range(5)]
APP_KINDS = [
    (AppCallStatus.PROCESSING, "outgoing"),
    (AppCallStatus.PROCESSING, "incoming"),
    (AppCallStatus.NOT_ANSWERED, "outgoing"),
    (AppCallStatus.NOT_ANSWERED, "incoming"),
    (AppCallStatus.MISSED, "incoming"),
    (AppCallStatus.MISSED, "outgoing"),
    (AppCallStatus.REJECTED, "rejected"),
]

# Seconds from the local midnight starting a day: mostly right around it.
moment = st.one_of(
    st.integers(min_value=-6, max_value=6),
    st.integers(min_value=0, max_value=86_399),
)
meeting_st = st.tuples(
    st.integers(0, 2),  # seller
    st.integers(0, 6),  # day
    moment,
    st.integers(0, len(PHONES) - 1),
    st.sampled_from(["outgoing", "incoming", "video"]),
)
app_st = st.tuples(
    st.integers(0, 2),
    st.integers(0, 6),
    moment,
    st.integers(0, len(PHONES) - 1),
    st.integers(0, len(APP_KINDS) - 1),
    # near a meeting: (meeting index, offset seconds, linked?)
    st.none() | st.tuples(st.integers(0, 30), st.integers(-7, 7), st.booleans()),
)


def reference_series(scope: SellerScope, date_range: DateRange) -> dict:
    key = TruncDate("start_time", tzinfo=date_range.tz)
    groups, total = analytics._call_totals(
        scope=scope, date_range=date_range, key=key, with_total=True
    )
    days = {
        analytics._bucket_of(value, "day", date_range.tz): counts
        for value, counts in groups.items()
    }
    return {
        "days": {
            day: counts
            for day, counts in days.items()
            if date_range.start_date <= day <= date_range.end_date
        },
        "total": total,
    }


def rollup_series(scope: SellerScope, date_range: DateRange) -> dict:
    groups, total = analytics._rollup_counts(scope=scope, date_range=date_range, by="day")
    return {"days": groups, "total": total}


def reference_by_seller(scope: SellerScope, date_range: DateRange) -> dict:
    groups, _ = analytics._call_totals(
        scope=scope, date_range=date_range, key=F("seller_id"), with_total=False
    )
    # PostgreSQL returns UUIDs, SQLite their hex text.
    return {uuid.UUID(str(key)): counts for key, counts in groups.items()}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone=st.sampled_from(ZONES),
    meetings=st.lists(meeting_st, max_size=25),
    app_calls=st.lists(app_st, max_size=30),
    first=st.integers(0, 3),
    length=st.integers(1, 5),
)
def test_rollups_equal_the_call_by_call_figures(
    agency, make_seller, zone, meetings, app_calls, first, length
):
    with transaction.atomic():
        agency.timezone = zone
        agency.save()
        tz = ZoneInfo(zone)
        manager = make_seller(agency, role=Role.MANAGER)
        sellers = [manager, make_seller(agency, manager=manager), make_seller(agency)]
        buyers = [make_buyer(agency, phone=phone) for phone in PHONES]

        def at(day: int, seconds: int) -> datetime:
            midnight = datetime.combine(FIRST_DAY + timedelta(days=day), time(), tzinfo=tz)
            return midnight + timedelta(seconds=seconds)

        made = []
        for seller, day, seconds, phone, direction in meetings:
            start = at(day, seconds)
            made.append(
                make_meeting(sellers[seller], buyer=buyers[phone], start=start, direction=direction)
            )
        for seller, day, seconds, phone, kind, near in app_calls:
            status, call_type = APP_KINDS[kind]
            start, number, linked, owner = at(day, seconds), PHONES[phone], None, sellers[seller]
            if near is not None and made:
                meeting = made[near[0] % len(made)]
                start = meeting.start_time + timedelta(seconds=near[1])
                owner, number = meeting.seller, meeting.buyer.phone
                linked = meeting if near[2] else None
            make_app_call(
                owner,
                buyer_number=number,
                start=start,
                status=status,
                call_type=call_type,
                seconds=0 if status != AppCallStatus.PROCESSING else 30,
                meeting=linked,
            )
        services.rollups_flush_pending(inline=True)

        start_day = FIRST_DAY + timedelta(days=first)
        date_range = DateRange(start_day, start_day + timedelta(days=length - 1), tz)
        everyone = SellerScope(
            agency_id=agency.pk, seller_ids=frozenset(seller.pk for seller in sellers)
        )
        counted = analytics._without_managers(everyone)
        for scope in (everyone, counted):
            assert rollup_series(scope, date_range) == reference_series(scope, date_range)
            by_seller = analytics.call_counts_by_seller(scope=scope, date_range=date_range)
            assert by_seller == reference_by_seller(scope, date_range)
        transaction.set_rollback(True)
