"""Search's named periods are ``chirpworks.timeframes``' periods, whatever the instant.

The contract's ``time_frame`` (``date_range_parse``) and a question's "this month" name the same
first day and the same last day, in the agency's timezone; the range the contract counts stops at
today, the window search reports runs to the period's end (no call starts in the future). The
instants include the 1st of a month and midnight in India, where the UTC date is still the day
before.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from calls.models import AppCallStatus
from chirpworks.durations import duration_format
from chirpworks.timeframes import TIME_FRAMES, date_range_parse
from search.tests.test_intents import app_call, ask
from search.windows import date_window_parse, default_window

IST = ZoneInfo("Asia/Kolkata")
UTC = ZoneInfo("UTC")
PHRASES = {
    "today": "today",
    "yesterday": "yesterday",
    "this_week": "this week",
    "last_week": "last week",
    "this_month": "this month",
    "last_month": "last month",
}
INSTANTS = [
    datetime(2026, 11, 18, 11, 30, tzinfo=IST),  # the suite's Wednesday
    datetime(2026, 12, 1, 0, 0, tzinfo=IST),  # midnight IST on the 1st: 30 Nov 18:30 UTC
    datetime(2026, 12, 1, 0, 10, tzinfo=IST),
    datetime(2026, 11, 30, 23, 59, 59, tzinfo=IST),  # last second of a month
    datetime(2026, 11, 30, 18, 29, tzinfo=UTC),  # 23:59 IST on the 30th, the same UTC day
    datetime(2026, 11, 30, 18, 30, tzinfo=UTC),  # already 1 Dec in India
    datetime(2026, 11, 16, 0, 0, tzinfo=IST),  # a Monday's midnight
    datetime(2026, 11, 22, 23, 59, tzinfo=IST),  # a Sunday's last minute
    datetime(2027, 1, 1, 0, 5, tzinfo=IST),  # a new year: last month is December before
    datetime(2028, 3, 1, 0, 0, tzinfo=IST),  # after a leap February
]


def _midnight(day):
    return datetime.combine(day, datetime.min.time(), tzinfo=IST)


@pytest.mark.parametrize("instant", INSTANTS, ids=lambda instant: instant.isoformat())
@pytest.mark.parametrize("time_frame", TIME_FRAMES)
def test_named_periods_agree_with_the_time_frame_parser(clock, instant, time_frame):
    clock.move_to(instant)
    contract = date_range_parse({"time_frame": time_frame}, tz=IST)
    window = date_window_parse(f"How many calls {PHRASES[time_frame]}?", now=timezone.now(), tz=IST)
    assert window.start == contract.start
    assert window.end == _midnight(contract.period_end_date + timedelta(days=1))
    # What either counts is the same: the contract's range is the window cut at today's end.
    assert contract.end == min(window.end, _midnight(contract.end_date + timedelta(days=1)))
    assert window.start <= timezone.now() or time_frame in ("yesterday", "last_week")


@pytest.mark.parametrize("instant", INSTANTS, ids=lambda instant: instant.isoformat())
def test_the_default_window_starts_with_last_month(clock, instant):
    clock.move_to(instant)
    window = default_window(now=timezone.now(), tz=IST)
    assert window.start == date_range_parse({"time_frame": "last_month"}, tz=IST).start
    assert window.end == date_range_parse({"time_frame": "today"}, tz=IST).end


def test_every_time_frame_has_its_phrase():
    assert set(PHRASES) == set(TIME_FRAMES)


@pytest.mark.django_db
def test_this_month_at_midnight_on_the_first_is_the_new_month(clock, seller, admin, client_for):
    """At 00:10 IST on 1 December it is still November in UTC; the agency's month has begun."""
    clock.move_to(datetime(2026, 12, 1, 0, 10, tzinfo=IST))
    app_call(seller, datetime(2026, 12, 1, 0, 5, tzinfo=IST), AppCallStatus.PROCESSING, 60)
    app_call(seller, datetime(2026, 11, 30, 23, 55, tzinfo=IST), AppCallStatus.PROCESSING, 60)
    _, source = ask(client_for, admin, "How many calls this month?")
    assert source["components"]["total_calls"] == 1
    assert source["date_range"]["start"] == "2026-12-01T00:00:00+05:30"
    assert source["date_range"]["end"] == "2027-01-01T00:00:00+05:30"
    _, source = ask(client_for, admin, "How many calls last month?")
    assert source["components"]["total_calls"] == 1
    assert source["date_range"]["start"] == "2026-11-01T00:00:00+05:30"


@pytest.mark.parametrize(
    "phrase",
    ["on 2025-02-30", "since 0001-01-01", "between 2025-01-01 and 9999-12-31", "on 2025-13-01"],
)
def test_a_date_that_is_no_date_names_no_period(phrase):
    """Bug fix: such a date raised ValueError or OverflowError (a 500); it names no period now,
    as ``chirpworks.timeframes`` bounds dates to 1970-2100."""
    assert date_window_parse(f"How many calls {phrase}?", now=timezone.now(), tz=IST) is None


@pytest.mark.django_db
def test_an_impossible_date_in_a_question_is_answered_not_a_500(seller, admin, client_for):
    _, source = ask(client_for, admin, "How many calls on 2025-02-30?")
    assert source["date_range"]["label"] == "since the start of last month"


@pytest.mark.django_db
def test_the_average_duration_is_rounded_to_the_second(clock, seller, admin, client_for):
    """59.5 s reads "1m 0s" as before; ``duration_format`` alone would truncate to "59s"."""
    now = timezone.now()
    app_call(seller, now - timedelta(hours=2), AppCallStatus.PROCESSING, duration=59)
    app_call(seller, now - timedelta(hours=1), AppCallStatus.PROCESSING, duration=60)
    _, source = ask(client_for, admin, "average call duration today")
    assert source["components"]["average_duration_seconds"] == 59.5
    assert source["components"]["average_duration"] == "1m 0s" != duration_format(59.5)
