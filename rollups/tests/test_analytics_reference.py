"""The grouped analytics statement gives the figures of the counting rules, call by call.

``reference`` applies the rules of ``rollups.analytics`` (as the previous implementation did, in
Python over every call) to random calls around the range ends, in an Indian and a US agency
(a DST change inside the range), by hour, by day and by seller: managers are not counted, and an
unlinked app call within 5 s of a meeting of the same seller and buyer phone (its twin, wherever
the range ends) is that meeting.
"""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calls.models import AppCallStatus, MobileAppCall
from meetings.models import Meeting
from meetings.tests.factories import make_app_call, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

PHONES = [f"+9198000{n:05d}" for n in range(12)]
APP_CALLS = [
    (AppCallStatus.PROCESSING, "outgoing"),
    (AppCallStatus.PROCESSING, "incoming"),
    (AppCallStatus.NOT_ANSWERED, "outgoing"),
    (AppCallStatus.NOT_ANSWERED, "incoming"),
    (AppCallStatus.MISSED, "incoming"),
    (AppCallStatus.MISSED, "outgoing"),
    (AppCallStatus.REJECTED, "rejected"),
]


def classify(call: MobileAppCall) -> tuple[str, bool]:
    if call.status == AppCallStatus.PROCESSING:
        return ("outgoing" if call.call_type == "outgoing" else "incoming"), True
    if call.status == AppCallStatus.NOT_ANSWERED:
        return ("incoming" if call.call_type == "incoming" else "outgoing"), False
    return "incoming", False


def is_twin(call: MobileAppCall, meetings) -> bool:
    return any(
        meeting.seller_id == call.seller_id
        and meeting.buyer.phone == call.buyer_number
        and abs(meeting.start_time - call.start_time) <= timedelta(seconds=5)
        for meeting in meetings
    )


def calls_in(sellers, start: datetime, end: datetime):
    """``(seller_id, start_time, direction, answered, phone)`` of every call counted once."""
    rows = []
    meetings = list(Meeting.objects.filter(seller__in=sellers).select_related("buyer"))
    for meeting in meetings:
        if start <= meeting.start_time < end and meeting.direction in ("incoming", "outgoing"):
            rows.append(
                (
                    meeting.seller_id,
                    meeting.start_time,
                    meeting.direction,
                    True,
                    meeting.buyer.phone,
                    meeting.recording_disclosed is False,
                )
            )
    for call in MobileAppCall.objects.filter(seller__in=sellers, meeting__isnull=True):
        if start <= call.start_time < end and not is_twin(call, meetings):
            direction, answered = classify(call)
            rows.append(
                (call.seller_id, call.start_time, direction, answered, call.buyer_number, False)
            )
    return rows


def figures(rows) -> dict:
    leads = {row[4] for row in rows if row[3] and row[4]}
    out = sum(1 for row in rows if row[2] == "outgoing")
    undisclosed = sum(1 for row in rows if row[5])
    return {
        "outgoing": out,
        "incoming": len(rows) - out,
        "leads": len(leads),
        "undisclosed": undisclosed,
    }


def reference_series(sellers, first: date, last: date, tz: ZoneInfo) -> dict:
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = calls_in(sellers, start, end)
    hourly = (last - first).days <= 2
    count = int((end - start) / timedelta(hours=1)) if hourly else (last - first).days + 1
    buckets = defaultdict(list)
    for row in rows:
        local = row[1].astimezone(tz)
        if hourly:
            hour = local.replace(minute=0, second=0, microsecond=0, tzinfo=None)
            index = int((hour.replace(tzinfo=tz) - start).total_seconds() // 3600)
        else:
            index = (local.date() - first).days
        buckets[index].append(row)
    name = "hour" if hourly else "day"
    sales = {}
    for index in range(count):
        got = figures(buckets[index])
        sales[f"{name}{index}"] = {
            "outgoing_calls": got["outgoing"],
            "incoming_calls": got["incoming"],
            "unique_leads_engaged": got["leads"],
        }
    total = figures(rows)
    return {
        "sales_data": sales,
        "total_data": {
            "total_outgoing_calls": total["outgoing"],
            "total_incoming_calls": total["incoming"],
            "total_calls": total["outgoing"] + total["incoming"],
            "unique_leads_engaged": total["leads"],
            "calls_without_recording_disclosure": total["undisclosed"],
        },
    }


def make_calls(agency, sellers, around: datetime, rng: random.Random) -> None:
    buyers = {phone: make_buyer(agency, phone=phone) for phone in PHONES[:6]}
    for _ in range(50):
        seller = rng.choice(sellers)
        start = around + timedelta(minutes=rng.randint(-2 * 24 * 60, 4 * 24 * 60))
        if rng.random() < 0.5:
            meeting = make_meeting(
                seller,
                buyer=rng.choice(list(buyers.values())),
                start=start,
                direction=rng.choice(["incoming", "outgoing", "outgoing", ""]),
                recording_disclosed=rng.choice([None, True, False]),
            )
            if rng.random() < 0.3:  # its reconciled app call: never counted again
                make_app_call(
                    seller, buyer_number=meeting.buyer.phone, start=start, meeting=meeting
                )
            elif rng.random() < 0.4:  # an unlinked app call: its twin within 5 s, else counted
                make_app_call(
                    seller,
                    buyer_number=meeting.buyer.phone,
                    start=start + timedelta(seconds=rng.randint(-7, 7)),
                    status=AppCallStatus.PROCESSING,
                    call_type=meeting.direction or "outgoing",
                )
        else:
            status, call_type = rng.choice(APP_CALLS)
            make_app_call(
                seller,
                buyer_number=rng.choice([*PHONES, ""]),
                start=start,
                status=status,
                call_type=call_type,
            )


@pytest.mark.parametrize(
    ("timezone_name", "first", "last"),
    [
        ("Asia/Kolkata", date(2025, 3, 10), date(2025, 3, 12)),  # hourly
        ("Asia/Kolkata", date(2025, 3, 10), date(2025, 3, 13)),  # daily
        ("America/New_York", date(2025, 3, 8), date(2025, 3, 10)),  # hourly over spring forward
        ("America/New_York", date(2025, 11, 1), date(2025, 11, 3)),  # hourly over fall back
        ("America/New_York", date(2025, 10, 30), date(2025, 11, 5)),  # daily over fall back
    ],
)
def test_series_and_per_seller_equal_the_reference(
    client_for, agency, manager, make_seller, timezone_name, first, last
):
    agency.timezone = timezone_name
    agency.save()
    tz = ZoneInfo(timezone_name)
    team = [manager, *(make_seller(agency, manager=manager) for _ in range(3))]
    rng = random.Random(f"{timezone_name}{first}")  # noqa: S311  (reproducible test data)
    make_calls(agency, team, datetime.combine(first, datetime.min.time(), tzinfo=tz), rng)
    params = {"start_date": first.isoformat(), "end_date": last.isoformat()}
    client = client_for(manager)

    counted = team[1:]  # not the manager
    body = client.get("/api/analytics/total_call_data", params).json()
    assert body == reference_series(counted, first, last, tz)

    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = calls_in(counted, start, end)
    ids = ",".join(str(member.pk) for member in team)
    analytics = client.get(
        "/api/analytics/seller_call_analytics", {**params, "team_member_ids": ids}
    ).json()
    for entry in analytics["seller_data"]:
        mine = [row for row in rows if str(row[0]) == entry["seller_id"]]
        got = figures(mine)
        assert (entry["outgoing_calls"], entry["incoming_calls"]) == (
            got["outgoing"],
            got["incoming"],
        )
        assert entry["unique_leads_engaged"] == got["leads"]
        answered = sum(1 for row in mine if row[3] and row[2] == "outgoing")
        assert entry["outgoing_calls_answered"] == answered
    assert len(analytics["seller_data"]) == len(counted)
