"""Analytics on a small hand-checked data set (Asia/Kolkata agency).

Seller ``seller``, 10-13 March 2025 (IST):
  M1 meeting outgoing 10th 09:30 (buyer B1), and its reconciled app call (must not count again)
  A2 app call Processing incoming 10th 09:45 (B3)      -> incoming answered, lead
  M2 meeting incoming 11th 00:00 (B2)                  -> 10th 18:30 UTC: day 1 in IST
  A3 app call Not Answered outgoing 11th 10:00 (B4)    -> outgoing unanswered
  A4 app call Missed incoming 12th 08:00 (B5)          -> incoming unanswered
  A5 app call Rejected (call_type rejected) 12th 08:30 -> incoming unanswered
  M3 meeting outgoing 12th 23:59:59 (B1)               -> last hour of the range
  M4 meeting outgoing 13th 00:00 (B2)                  -> only in the 4-day range
  M5 meeting incoming 9th 23:59:59 (B6)                -> never in range
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from calls.models import AppCallStatus
from meetings.tests.factories import ist, make_app_call, make_buyer, make_meeting

IST = ZoneInfo("Asia/Kolkata")

pytestmark = pytest.mark.django_db

URL = "/api/analytics/total_call_data"
THREE_DAYS = {"start_date": "2025-03-10", "end_date": "2025-03-12"}
FOUR_DAYS = {"start_date": "2025-03-10", "end_date": "2025-03-13"}
METRIC_KEYS = {
    "outgoing_calls",
    "outgoing_calls_answered",
    "outgoing_calls_unanswered",
    "incoming_calls",
    "incoming_calls_answered",
    "incoming_calls_unanswered",
    "total_calls",
    "unique_leads_engaged",
}


@pytest.fixture
def calls(seller, agency):
    b1, b2, b6 = (make_buyer(agency, phone=f"+91980000010{n}") for n in (1, 2, 6))
    m1 = make_meeting(seller, buyer=b1, start=ist(2025, 3, 10, 9, 30), direction="outgoing")
    make_app_call(seller, buyer_number=b1.phone, start=ist(2025, 3, 10, 9, 30), meeting=m1)
    make_app_call(
        seller, buyer_number="+919800000103", start=ist(2025, 3, 10, 9, 45), call_type="incoming"
    )
    make_meeting(seller, buyer=b2, start=ist(2025, 3, 11, 0, 0), direction="incoming")
    make_app_call(
        seller,
        buyer_number="+919800000104",
        start=ist(2025, 3, 11, 10),
        status=AppCallStatus.NOT_ANSWERED,
        seconds=0,
    )
    make_app_call(
        seller,
        buyer_number="+919800000105",
        start=ist(2025, 3, 12, 8),
        call_type="incoming",
        status=AppCallStatus.MISSED,
        seconds=0,
    )
    make_app_call(
        seller,
        buyer_number="+919800000105",
        start=ist(2025, 3, 12, 8, 30),
        call_type="rejected",
        status=AppCallStatus.REJECTED,
        seconds=0,
    )
    make_meeting(seller, buyer=b1, start=ist(2025, 3, 12, 23, 59, 59), direction="outgoing")
    make_meeting(seller, buyer=b2, start=ist(2025, 3, 13, 0, 0), direction="outgoing")
    make_meeting(seller, buyer=b6, start=ist(2025, 3, 9, 23, 59, 59), direction="incoming")


def bucket(outgoing=0, incoming=0, leads=0):
    return {"outgoing_calls": outgoing, "incoming_calls": incoming, "unique_leads_engaged": leads}


class TestTotalCallData:
    def test_three_days_hourly_covering_the_whole_range(self, client_for, seller, calls):
        response = client_for(seller).get("/api/analytics/total_call_data", THREE_DAYS)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"sales_data", "total_data"}
        sales = body["sales_data"]
        assert list(sales) == [f"hour{n}" for n in range(72)]
        expected = {
            "hour9": bucket(outgoing=1, incoming=1, leads=2),
            "hour24": bucket(incoming=1, leads=1),
            "hour34": bucket(outgoing=1),
            "hour56": bucket(incoming=2),
            "hour71": bucket(outgoing=1, leads=1),
        }
        for key, value in sales.items():
            assert value == expected.get(key, bucket()), key
        assert body["total_data"] == {
            "total_outgoing_calls": 3,
            "total_incoming_calls": 4,
            "total_calls": 7,
            "unique_leads_engaged": 3,
            "calls_without_recording_disclosure": 0,
        }

    def test_four_days_daily(self, client_for, seller, calls):
        body = client_for(seller).get("/api/analytics/total_call_data", FOUR_DAYS).json()
        assert body["sales_data"] == {
            "day0": bucket(outgoing=1, incoming=1, leads=2),
            "day1": bucket(outgoing=1, incoming=1, leads=1),
            "day2": bucket(outgoing=1, incoming=2, leads=1),
            "day3": bucket(outgoing=1, leads=1),
        }
        assert body["total_data"]["total_calls"] == 8
        assert body["total_data"]["unique_leads_engaged"] == 3

    def test_today_by_default_in_24_hours(self, client_for, seller):
        body = client_for(seller).get("/api/analytics/total_call_data").json()
        assert list(body["sales_data"]) == [f"hour{n}" for n in range(24)]

    def test_scope(
        self, client_for, seller, manager, admin, make_seller, agency, other_agency, calls
    ):
        colleague = make_seller(agency)  # not in the manager's team
        make_meeting(colleague, start=ist(2025, 3, 10, 12))
        make_meeting(make_seller(other_agency), start=ist(2025, 3, 10, 12))
        make_meeting(manager, start=ist(2025, 3, 10, 12))
        make_meeting(admin, start=ist(2025, 3, 10, 12))

        def total(who, **params):
            url = "/api/analytics/total_call_data"
            return client_for(who).get(url, {**THREE_DAYS, **params}).json()["total_data"]

        assert total(seller)["total_calls"] == 7
        # The contract counts non-manager sellers only: never the manager's own call.
        assert total(manager)["total_calls"] == 7
        assert total(manager, team_member_ids=str(seller.pk))["total_calls"] == 7
        assert total(manager, team_member_ids=str(manager.pk))["total_calls"] == 0
        assert total(admin)["total_calls"] == 9  # seller 7, colleague 1, admin 1

    def test_errors(self, client_for, seller, manager, make_seller, agency):
        url = "/api/analytics/total_call_data"
        too_long = client_for(seller).get(
            url, {"start_date": "2025-01-01", "end_date": "2025-04-02"}
        )
        assert too_long.status_code == 400
        assert too_long.json()["error"] == "Date range cannot exceed 90 days"
        for day in ("9999-12-31", "0001-01-01"):  # overflowed: a 500
            extreme = client_for(seller).get(url, {"start_date": day, "end_date": day})
            assert extreme.status_code == 400
            assert extreme.json() == {
                "error": "start_date must be between 1970-01-01 and 2100-12-31",
                "code": "date_out_of_range",
            }
        outsider = make_seller(agency)
        assert client_for(manager).get(url, {"team_member_ids": outsider.pk}).status_code == 403

    def test_constant_queries(
        self, client_for, admin, make_seller, agency, django_assert_max_num_queries
    ):
        for index in range(8):
            member = make_seller(agency)
            for day in range(1, 29):
                make_meeting(member, start=ist(2025, 2, day, 10 + index % 5))
                make_app_call(
                    member,
                    buyer_number=f"+9197{index:02d}{day:06d}",
                    start=ist(2025, 2, day, 15),
                    status=AppCallStatus.MISSED,
                )
        client = client_for(admin)
        # The first read also refreshes the rollups of the calls written above (a bounded number
        # of statements, see rollups/tests); what a read itself costs is measured after it.
        february = {"start_date": "2025-02-01", "end_date": "2025-02-28"}
        client.get("/api/analytics/total_call_data", february)
        with django_assert_max_num_queries(3):
            body = client.get("/api/analytics/total_call_data", february).json()
        assert body["total_data"]["total_calls"] == 8 * 28 * 2


class TestPerSeller:
    def test_call_data(self, client_for, seller, manager, calls):
        url = f"/api/analytics/call_data/{seller.pk}"
        for reader in (seller, manager):
            body = client_for(reader).get(url, THREE_DAYS).json()
            assert body == {
                "outgoing_calls": 3,
                "outgoing_calls_answered": 2,
                "outgoing_calls_unanswered": 1,
                "incoming_calls": 4,
                "incoming_calls_answered": 2,
                "incoming_calls_unanswered": 2,
                "total_calls": 7,
                "unique_leads_engaged": 3,
            }

    def test_seller_call_data(self, client_for, seller, calls):
        body = (
            client_for(seller).get(f"/api/analytics/seller_call_data/{seller.pk}", FOUR_DAYS).json()
        )
        assert set(body) == {"seller_id", "seller_name", "seller_phone", "sales_data", "total_data"}
        assert body["seller_phone"] == "0091" + seller.phone[3:]
        assert body["total_data"]["total_calls"] == 8

    @pytest.mark.parametrize("path", ["call_data", "seller_call_data"])
    def test_access(self, client_for, seller, make_seller, agency, other_agency, path):
        colleague = make_seller(agency)
        response = client_for(seller).get(f"/api/analytics/{path}/{colleague.pk}")
        assert response.status_code == 403
        foreign = make_seller(other_agency)
        assert client_for(seller).get(f"/api/analytics/{path}/{foreign.pk}").status_code == 404

    def test_team_call_data(self, client_for, seller, manager, make_seller, agency, calls):
        quiet = make_seller(agency, manager=manager, name="Zed Quiet")
        body = client_for(manager).get("/api/analytics/team_call_data", THREE_DAYS).json()
        assert body == {
            "seller_data": [
                {
                    "seller_id": str(seller.pk),
                    "seller_name": seller.name,
                    "seller_phone": f"+91 {seller.phone[3:]}",
                    "metrics": {
                        "total_calls_made": 7,
                        "outgoing_calls": 3,
                        "incoming_calls": 4,
                        "leads_engaged": 3,
                    },
                },
                {
                    "seller_id": str(quiet.pk),
                    "seller_name": "Zed Quiet",
                    "seller_phone": f"+91 {quiet.phone[3:]}",
                    "metrics": {
                        "total_calls_made": 0,
                        "outgoing_calls": 0,
                        "incoming_calls": 0,
                        "leads_engaged": 0,
                    },
                },
            ]
        }

    def test_team_call_data_constant_queries(
        self, client_for, manager, make_seller, agency, django_assert_max_num_queries
    ):
        for _ in range(12):
            member = make_seller(agency, manager=manager)
            for hour in range(6):
                make_meeting(member, start=ist(2025, 3, 10, 8 + hour))
        client = client_for(manager)
        client.get("/api/analytics/team_call_data", THREE_DAYS)  # refreshes the rollups first
        with django_assert_max_num_queries(5):
            body = client.get("/api/analytics/team_call_data", THREE_DAYS).json()
        assert len(body["seller_data"]) == 12
        assert {row["metrics"]["total_calls_made"] for row in body["seller_data"]} == {6}

    def test_seller_call_analytics(self, client_for, seller, manager, make_seller, agency, calls):
        url = "/api/analytics/seller_call_analytics"
        missing = client_for(manager).get(url, THREE_DAYS)
        assert missing.status_code == 400
        assert missing.json()["code"] == "team_member_ids_required"
        body = client_for(manager).get(url, {**THREE_DAYS, "team_member_ids": seller.pk}).json()
        [row] = body["seller_data"]
        assert set(row) == {
            "seller_id",
            "seller_name",
            "seller_phone",
            "seller_email",
            *METRIC_KEYS,
        }
        assert (row["total_calls"], row["unique_leads_engaged"]) == (7, 3)
        outsider = make_seller(agency)
        assert client_for(manager).get(url, {"team_member_ids": outsider.pk}).status_code == 403

    def test_seller_call_analytics_skips_managers(self, client_for, seller, manager, admin, calls):
        """The contract: managers among team_member_ids are silently skipped."""
        make_meeting(manager, start=ist(2025, 3, 10, 12))
        url = "/api/analytics/seller_call_analytics"
        for reader in (manager, admin):
            ids = f"{manager.pk},{seller.pk}"
            body = client_for(reader).get(url, {**THREE_DAYS, "team_member_ids": ids}).json()
            assert [row["seller_id"] for row in body["seller_data"]] == [str(seller.pk)]
        only_manager = {**THREE_DAYS, "team_member_ids": str(manager.pk)}
        assert client_for(manager).get(url, only_manager).json() == {"seller_data": []}


@pytest.fixture
def today_is(clock):
    """Move the clock to noon of ``day`` in the agency's timezone."""

    def set_today(day: date) -> None:
        clock.move_to(datetime.combine(day, time(12), tzinfo=IST))

    return set_today


class TestTimeFrameGranularity:
    """A week or a month is daily whatever day it is asked on (10 March 2025 is a Monday).

    The granularity used to come from the range cut at today: ``this_week`` was hour0..hour23 on
    a Monday, hour0..hour47 on a Tuesday; ``this_month`` was hourly on the 1st to the 3rd.
    """

    @pytest.mark.parametrize(
        ("today", "time_frame", "days"),
        [
            (date(2025, 3, 10), "this_week", 1),
            (date(2025, 3, 11), "this_week", 2),
            (date(2025, 3, 12), "this_week", 3),
            (date(2025, 3, 14), "this_week", 5),
            (date(2025, 3, 16), "this_week", 7),
            (date(2025, 3, 1), "this_month", 1),
            (date(2025, 3, 2), "this_month", 2),
            (date(2025, 3, 3), "this_month", 3),
            (date(2025, 3, 17), "last_week", 7),
        ],
    )
    def test_daily_up_to_today(self, client_for, seller, today_is, today, time_frame, days):
        today_is(today)
        body = client_for(seller).get(URL, {"time_frame": time_frame}).json()
        assert list(body["sales_data"]) == [f"day{n}" for n in range(days)]

    def test_this_week_on_a_tuesday(self, client_for, seller, calls, today_is):
        today_is(date(2025, 3, 11))
        body = client_for(seller).get(URL, {"time_frame": "this_week"}).json()
        assert body == {
            "sales_data": {
                "day0": bucket(outgoing=1, incoming=1, leads=2),
                "day1": bucket(outgoing=1, incoming=1, leads=1),
            },
            "total_data": {
                "total_outgoing_calls": 2,
                "total_incoming_calls": 2,
                "total_calls": 4,
                "unique_leads_engaged": 3,
                "calls_without_recording_disclosure": 0,
            },
        }
        series = client_for(seller).get(
            f"/api/analytics/seller_call_data/{seller.pk}", {"time_frame": "this_week"}
        )
        assert series.json()["sales_data"] == body["sales_data"]

    def test_this_month_on_the_12th(self, client_for, seller, calls, today_is):
        today_is(date(2025, 3, 12))
        sales = client_for(seller).get(URL, {"time_frame": "this_month"}).json()["sales_data"]
        expected = {
            "day8": bucket(incoming=1, leads=1),  # M5, 9th 23:59:59
            "day9": bucket(outgoing=1, incoming=1, leads=2),
            "day10": bucket(outgoing=1, incoming=1, leads=1),
            "day11": bucket(outgoing=1, incoming=2, leads=1),
        }
        assert sales == {f"day{n}": expected.get(f"day{n}", bucket()) for n in range(12)}

    @pytest.mark.parametrize("time_frame", ["today", "yesterday"])
    def test_a_day_stays_hourly(self, client_for, seller, calls, today_is, time_frame):
        today_is(date(2025, 3, 12) if time_frame == "yesterday" else date(2025, 3, 11))
        sales = client_for(seller).get(URL, {"time_frame": time_frame}).json()["sales_data"]
        assert list(sales) == [f"hour{n}" for n in range(24)]
        assert sales["hour0"] == bucket(incoming=1, leads=1)  # M2, 11th 00:00
        assert sales["hour10"] == bucket(outgoing=1)  # A3


class TestTwins:
    """An unlinked app call that call history hides as a meeting's twin (same seller, same buyer
    phone, start within 5 s) is that meeting: it counts once."""

    @pytest.fixture
    def twins(self, seller, make_seller, manager, agency):
        buyer = make_buyer(agency, phone="+919811100000")
        start = ist(2025, 3, 10, 12)
        make_meeting(seller, buyer=buyer, start=start, direction="outgoing")
        make_app_call(seller, buyer_number=buyer.phone, start=start + timedelta(seconds=5))  # twin
        make_app_call(seller, buyer_number=buyer.phone, start=start + timedelta(seconds=6))
        make_app_call(seller, buyer_number="+919811100001", start=start)
        colleague = make_seller(agency, manager=manager)
        make_app_call(colleague, buyer_number=buyer.phone, start=start)  # another seller's call
        return colleague

    def test_counted_once(self, client_for, seller, manager, twins):
        day = {"start_date": "2025-03-10", "end_date": "2025-03-10"}
        figures = client_for(seller).get(f"/api/analytics/call_data/{seller.pk}", day).json()
        assert figures == {
            "outgoing_calls": 3,
            "outgoing_calls_answered": 3,
            "outgoing_calls_unanswered": 0,
            "incoming_calls": 0,
            "incoming_calls_answered": 0,
            "incoming_calls_unanswered": 0,
            "total_calls": 3,
            "unique_leads_engaged": 2,
        }
        history = client_for(seller).get("/api/meetings/call_history", day).json()
        assert len(history) == figures["total_calls"]
        total = client_for(manager).get(URL, day).json()
        assert total["sales_data"]["hour12"] == bucket(outgoing=4, leads=2)
        team = client_for(manager).get("/api/analytics/team_call_data", day).json()
        assert sorted(row["metrics"]["total_calls_made"] for row in team["seller_data"]) == [1, 3]

    def test_a_twin_across_midnight_counts_on_its_meetings_day(self, client_for, seller, agency):
        buyer = make_buyer(agency, phone="+919811100002")
        make_meeting(seller, buyer=buyer, start=ist(2025, 3, 10, 23, 59, 58))
        make_app_call(seller, buyer_number=buyer.phone, start=ist(2025, 3, 11, 0, 0, 1))

        def total_calls(first, last):
            params = {"start_date": first, "end_date": last}
            return client_for(seller).get(URL, params).json()["total_data"]["total_calls"]

        assert total_calls("2025-03-11", "2025-03-11") == 0
        assert total_calls("2025-03-10", "2025-03-10") == 1
        assert total_calls("2025-03-10", "2025-03-11") == 1
