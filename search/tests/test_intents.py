"""Analytics answers on a hand-checked data set, with periods in the agency's timezone.

"Now" is Wednesday 2025-03-12 10:00 in Asia/Kolkata (04:30 UTC). This week is Mon 10 - Sun 16
March, last week 3-9 March, last month February. The counts in each test were worked out by hand
from the table in ``dataset``.
"""

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from model_bakery import baker

from calls.models import AppCallStatus, CallType, MobileAppCall
from chirpworks.durations import duration_format as format_duration
from meetings.tests.meeting_factories import make_buyer, make_meeting
from products.models import Product
from search import intents
from search.intents import intent_detect
from search.windows import date_window_parse

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=IST)
ANSWER = "/api/search/answer"


def ist(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=IST)


def app_call(seller, start, status, duration=0, meeting=None):
    call_type = {
        AppCallStatus.MISSED: CallType.MISSED,
        AppCallStatus.REJECTED: CallType.REJECTED,
        AppCallStatus.NOT_ANSWERED: CallType.OUTGOING,
    }.get(status, CallType.INCOMING)
    return baker.make(
        MobileAppCall,
        seller=seller,
        app_call_id=uuid.uuid4().hex,
        buyer_number="+919700011111",
        seller_number=seller.phone,
        call_type=call_type,
        start_time=start,
        end_time=start + timedelta(seconds=duration),
        duration=duration,
        status=status,
        meeting=meeting,
    )


@pytest.fixture
def dataset(clock, agency, other_agency, admin, manager, seller, make_seller):
    """
    | call | seller | when (IST)        | what                               |
    | m1   | Sam    | Wed 12 Mar 09:00  | meeting 300 s, Gold Plan           |
    | m2   | Sam    | Wed 12 Mar 00:30  | meeting 120 s, gold plan + Silver  | (11 Mar 19:00 UTC)
    | m3   | Sam    | Tue 11 Mar 23:30  | meeting 60 s                       |
    | m4   | Tara   | Mon 10 Mar 11:00  | meeting 600 s, Silver Plan         |
    | m5   | Tara   | Wed  5 Mar 11:00  | meeting 0 s (not answered)         |
    | m6   | Uma    | Thu 20 Feb 11:00  | meeting 200 s, Gold Plan           |
    | a    | Sam    | Wed 12 Mar 08:00  | app call Missed                    |
    | b    | Sam    | Tue 11 Mar 15:00  | app call Not Answered              |
    | c    | Tara   | Mon 10 Mar 12:00  | app call Processing, 90 s          |
    | d    | Tara   | Mon 10 Mar 13:00  | app call Rejected                  |
    | e    | Sam    | Wed 12 Mar 09:00  | app call reconciled into m1        | (never counted twice)
    | x    | Bea    | Wed 12 Mar 09:00  | another agency's meeting + app call|
    m1 and m2 share a buyer. Tara reports to the manager, as Sam does; Uma reports to nobody.
    """
    clock.move_to(NOW)
    tara = make_seller(agency, name="Tara Rao", manager=manager)
    uma = make_seller(agency, name="Uma Iyer")
    bea = make_seller(other_agency, name="Bea Other")
    gold = baker.make(Product, agency=agency, name="Gold Plan")
    baker.make(Product, agency=agency, name="Silver Plan")
    shared = make_buyer(agency)
    m1 = make_meeting(
        seller,
        buyer=shared,
        start=ist(12, 9),
        seconds=300,
        detected_products=[{"product_id": str(gold.pk), "product_name": "Gold"}],
    )
    make_meeting(
        seller,
        buyer=shared,
        start=ist(12, 0, 30),
        seconds=120,
        detected_products=[{"product_name": "gold plan"}, {"product_name": "Silver Plan"}],
    )
    make_meeting(seller, start=ist(11, 23, 30), seconds=60)
    make_meeting(
        tara, start=ist(10, 11), seconds=600, detected_products=[{"product_name": "Silver Plan"}]
    )
    make_meeting(tara, start=ist(5, 11), seconds=0)
    make_meeting(
        uma,
        start=ist(20, 11, month=2),
        seconds=200,
        detected_products=[{"product_name": "Gold Plan"}],
    )
    app_call(seller, ist(12, 8), AppCallStatus.MISSED)
    app_call(seller, ist(11, 15), AppCallStatus.NOT_ANSWERED)
    app_call(tara, ist(10, 12), AppCallStatus.PROCESSING, duration=90)
    app_call(tara, ist(10, 13), AppCallStatus.REJECTED)
    app_call(seller, ist(12, 9), AppCallStatus.PROCESSING, duration=300, meeting=m1)
    make_meeting(
        bea, start=ist(12, 9), seconds=500, detected_products=[{"product_name": "Gold Plan"}]
    )
    app_call(bea, ist(12, 9), AppCallStatus.MISSED)
    return {"admin": admin, "manager": manager, "seller": seller, "tara": tara, "uma": uma}


def ask(client_for, person, question, **extra):
    response = client_for(person).post(ANSWER, {"query": question, **extra}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"answer", "sources"}
    assert len(body["sources"]) == 1 and body["sources"][0]["type"] == "analytics"
    return body["answer"], body["sources"][0]


class TestDateWindows:
    @pytest.mark.parametrize(
        ("phrase", "start", "end"),
        [
            ("calls today", date(2025, 3, 12), date(2025, 3, 13)),
            ("yesterday", date(2025, 3, 11), date(2025, 3, 12)),
            ("this week", date(2025, 3, 10), date(2025, 3, 17)),
            ("last week", date(2025, 3, 3), date(2025, 3, 10)),
            ("this month", date(2025, 3, 1), date(2025, 4, 1)),
            ("last month", date(2025, 2, 1), date(2025, 3, 1)),
            ("in the last 7 days", date(2025, 3, 6), date(2025, 3, 13)),
            ("past two weeks", date(2025, 2, 27), date(2025, 3, 13)),
            ("last 3 months", date(2025, 1, 1), date(2025, 3, 13)),
            ("this year", date(2025, 1, 1), date(2026, 1, 1)),
            ("last year", date(2024, 1, 1), date(2025, 1, 1)),
            ("on 2025-01-05", date(2025, 1, 5), date(2025, 1, 6)),
            ("between 2025-01-31 and 2025-01-01", date(2025, 1, 1), date(2025, 2, 1)),
            ("since 2025-03-01", date(2025, 3, 1), date(2025, 3, 13)),
        ],
    )
    def test_phrases(self, phrase, start, end):
        window = date_window_parse(f"How many calls {phrase}?", now=NOW, tz=IST)
        assert window.start == datetime.combine(start, datetime.min.time(), tzinfo=IST)
        assert window.end == datetime.combine(end, datetime.min.time(), tzinfo=IST)

    def test_today_is_the_agency_day_not_the_utc_day(self):
        # 20:00 UTC on 11 March is already 01:30 on 12 March in Kolkata.
        now = datetime(2025, 3, 11, 20, 0, tzinfo=ZoneInfo("UTC"))
        window = date_window_parse("today", now=now, tz=IST)
        assert window.start == ist(12, 0)
        assert date_window_parse("today", now=now, tz=ZoneInfo("UTC")).start.day == 11

    def test_no_period(self):
        assert date_window_parse("which buyers asked for a discount", now=NOW, tz=IST) is None


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("How many calls did my team make this month?", "count_calls"),
        ("total number of calls yesterday", "count_calls"),
        ("calls per seller last week", "calls_per_seller"),
        ("Show calls by product", "calls_per_product"),
        ("What is our answer rate?", "answered_rate"),
        ("how many calls were answered today", "answered_rate"),
        ("missed call rate this week", "missed_rate"),
        ("how many missed calls yesterday", "missed_rate"),
        ("average call duration last month", "avg_duration"),
        ("how long were my calls this week", "avg_duration"),
        ("top 3 sellers this month", "top_sellers"),
        ("who made the most calls?", "top_sellers"),
        ("most discussed products", "top_products"),
        ("calls per day this week", "timeseries_calls"),
        ("daily calls trend", "timeseries_calls"),
        ("how many buyers did I speak to", "count_buyers"),
        ("which buyers asked for a discount last week?", None),
        ("what did Priya say about the parking", None),
    ],
)
def test_intent_detection(question, intent):
    assert intent_detect(question) == intent


def test_format_duration():
    assert [format_duration(s) for s in (0, 45, 185, 3725)] == ["0s", "45s", "3m 5s", "1h 2m"]


class TestAnswers:
    def test_count_calls_today_for_the_agency(self, dataset, client_for):
        answer, source = ask(client_for, dataset["admin"], "How many calls today?")
        assert source["metric"] == "count_calls"
        components = source["components"]
        assert (components["total_calls"], components["answered_calls"]) == (3, 2)
        assert (components["missed_calls"], components["not_answered_calls"]) == (1, 0)
        assert answer == "The agency had 3 calls today (2 answered, 1 missed, 0 not answered)."
        assert source["date_range"] == {
            "start": "2025-03-12T00:00:00+05:30",
            "end": "2025-03-13T00:00:00+05:30",
            "label": "today",
            "timezone": "Asia/Kolkata",
        }

    def test_yesterday(self, dataset, client_for):
        _, source = ask(client_for, dataset["admin"], "number of calls yesterday")
        assert source["components"]["total_calls"] == 2
        assert source["components"]["not_answered_calls"] == 1

    def test_this_week_rates_and_average_duration(self, dataset, client_for):
        admin = dataset["admin"]
        _, source = ask(client_for, admin, "How many calls this week?")
        components = source["components"]
        assert (components["total_calls"], components["answered_calls"]) == (8, 5)
        assert (components["missed_calls"], components["not_answered_calls"]) == (2, 1)
        answer, source = ask(client_for, admin, "What was the answer rate this week?")
        assert source["metric"] == "answered_rate" and source["components"]["answered_rate"] == 62.5
        assert answer == "62.5% of calls were answered this week (5 of 8)."
        answer, source = ask(client_for, admin, "missed call rate this week")
        assert answer == "25.0% of calls were missed this week (2 of 8)."
        answer, source = ask(client_for, admin, "average call duration this week")
        # (300 + 120 + 60 + 600 + 90) / 5 answered calls = 234 s
        assert source["components"]["average_duration_seconds"] == 234.0
        assert answer == "The average answered call lasted 3m 54s this week (5 answered calls)."

    def test_default_window_is_since_the_start_of_last_month(self, dataset, client_for):
        _, source = ask(client_for, dataset["admin"], "how many calls")
        assert source["components"]["total_calls"] == 10
        assert source["date_range"]["start"] == "2025-02-01T00:00:00+05:30"

    def test_last_week_and_last_month(self, dataset, client_for):
        admin = dataset["admin"]
        assert ask(client_for, admin, "how many calls last week")[1]["components"] == {
            "total_calls": 1,
            "answered_calls": 0,
            "missed_calls": 0,
            "not_answered_calls": 1,
            "total_talk_seconds": 0,
            "answered_rate": 0.0,
            "missed_rate": 0.0,
            "average_duration_seconds": 0,
            "average_duration": "0s",
        }
        assert (
            ask(client_for, admin, "how many calls last month")[1]["components"]["total_calls"] == 1
        )

    def test_calls_per_seller_and_top_sellers(self, dataset, client_for):
        admin = dataset["admin"]
        answer, source = ask(client_for, admin, "calls per seller this week")
        counts = [(item["seller_name"], item["calls"]) for item in source["items"]]
        assert counts == [("Sam Seller", 5), ("Tara Rao", 3), ("Team Manager", 0), ("Uma Iyer", 0)]
        answer, source = ask(client_for, admin, "top sellers this week")
        assert [(i["seller_name"], i["calls"]) for i in source["items"]] == [
            ("Sam Seller", 5),
            ("Tara Rao", 3),
        ]
        assert answer == "Top sellers by calls this week: Sam Seller (5), Tara Rao (3)."

    def test_products(self, dataset, client_for):
        admin = dataset["admin"]
        answer, source = ask(client_for, admin, "most discussed products this month")
        assert source["items"] == [
            {"product_name": "Gold Plan", "calls": 2},
            {"product_name": "Silver Plan", "calls": 2},
        ]
        _, source = ask(client_for, admin, "calls per product last month")
        assert source["items"] == [{"product_name": "Gold Plan", "calls": 1}]
        answer, source = ask(client_for, admin, "how many calls about the Silver Plan this week?")
        assert source["metric"] == "seller_product_calls"
        assert answer == "The agency discussed Silver Plan in 2 calls this week."

    def test_time_series_by_day_in_the_agency_timezone(self, dataset, client_for):
        answer, source = ask(client_for, dataset["admin"], "calls per day this week")
        # No future days: the series stops at today (Wednesday).
        assert source["series"] == [
            {"period": "2025-03-10", "calls": 3},
            {"period": "2025-03-11", "calls": 2},
            {"period": "2025-03-12", "calls": 3},
        ]
        assert answer.startswith("The agency had 8 calls this week, by day")

    def test_manager_counts_the_team_and_a_named_member(self, dataset, client_for):
        manager = dataset["manager"]
        answer, source = ask(client_for, manager, "How many calls did my team make this week?")
        assert source["components"]["total_calls"] == 8  # Sam 5 + Tara 3, not Uma
        assert answer.startswith("Your team had 8 calls this week")
        answer, source = ask(client_for, manager, "How many calls did Tara make this week?")
        assert source["components"]["total_calls"] == 3
        assert answer.startswith("Tara Rao had 3 calls")
        _, source = ask(client_for, manager, "How many calls did Uma make this week?")
        assert source["components"]["total_calls"] == 8  # Uma is not in the team: team totals

    def test_seller_sees_only_their_own_numbers(self, dataset, client_for):
        seller = dataset["seller"]
        answer, source = ask(client_for, seller, "how many calls did I make this week")
        assert answer == "You had 5 calls this week (3 answered, 1 missed, 1 not answered)."
        _, source = ask(client_for, seller, "calls per seller this week")
        assert [(i["seller_name"], i["calls"]) for i in source["items"]] == [("Sam Seller", 5)]
        _, source = ask(client_for, seller, "how many calls did Tara make this week")
        assert source["components"]["total_calls"] == 5

    def test_seller_id_narrows_the_count(self, dataset, client_for):
        _, source = ask(
            client_for,
            dataset["manager"],
            "how many calls this week",
            seller_id=str(dataset["tara"].pk),
        )
        assert source["components"]["total_calls"] == 3

    def test_count_buyers(self, dataset, client_for):
        answer, source = ask(client_for, dataset["admin"], "how many buyers this week")
        assert source["components"] == {"buyers": 3}  # m1 and m2 share a buyer
        assert answer == "The agency spoke with 3 buyers this week."


def test_analytics_never_build_sql_from_the_question(dataset, client_for):
    """A question full of SQL is counted like any other question: the text is never executed."""
    question = "how many calls this week'; DROP TABLE meetings_meeting; --"
    _, source = ask(client_for, dataset["admin"], question)
    assert source["components"]["total_calls"] == 8
    assert intents.Meeting.objects.exists()
