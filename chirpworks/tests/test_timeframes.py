from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chirpworks.durations import duration_format
from chirpworks.exceptions import ApplicationError
from chirpworks.timeframes import date_range_parse, local_today

IST = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (60, "1m 0s"), (185, "3m 5s"), (3720, "1h 2m"), (None, "0s")],
)
def test_duration_format(seconds, text):
    assert duration_format(seconds) == text


def test_dates_cover_whole_local_days():
    found = date_range_parse({"start_date": "2025-03-01", "end_date": "2025-03-03"}, tz=IST)
    assert found.start == datetime(2025, 3, 1, tzinfo=IST)
    assert found.end == datetime(2025, 3, 4, tzinfo=IST)  # exclusive: all of 3 March counts
    assert found.days == 3
    assert found.dates() == [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)]


def test_time_frames_end_today_at_the_latest():
    today = local_today(IST)
    monday = today - timedelta(days=today.weekday())
    cases = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "this_week": (monday, today),
        "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": (today.replace(day=1), today),
    }
    for name, (start, end) in cases.items():
        found = date_range_parse({"time_frame": name}, tz=IST)
        assert (found.start_date, found.end_date) == (start, end), name
    last_month = date_range_parse({"time_frame": "last_month"}, tz=IST)
    assert last_month.end_date == today.replace(day=1) - timedelta(days=1)
    assert last_month.start_date == last_month.end_date.replace(day=1)


@pytest.mark.parametrize(
    ("today", "name", "first", "last", "period_end", "period_days"),
    [
        # 10 March 2025 is a Monday.
        ("2025-03-10", "this_week", "2025-03-10", "2025-03-10", "2025-03-16", 7),
        ("2025-03-11", "this_week", "2025-03-10", "2025-03-11", "2025-03-16", 7),
        ("2025-03-16", "this_week", "2025-03-10", "2025-03-16", "2025-03-16", 7),
        ("2025-03-02", "this_month", "2025-03-01", "2025-03-02", "2025-03-31", 31),
        ("2024-02-01", "this_month", "2024-02-01", "2024-02-01", "2024-02-29", 29),
        ("2025-12-31", "this_month", "2025-12-01", "2025-12-31", "2025-12-31", 31),
        ("2025-03-11", "last_week", "2025-03-03", "2025-03-09", "2025-03-09", 7),
        ("2025-03-02", "last_month", "2025-02-01", "2025-02-28", "2025-02-28", 28),
        ("2025-03-11", "today", "2025-03-11", "2025-03-11", "2025-03-11", 1),
        ("2025-03-01", "yesterday", "2025-02-28", "2025-02-28", "2025-02-28", 1),
    ],
)
def test_a_time_frame_keeps_its_whole_period(
    clock, today, name, first, last, period_end, period_days
):
    """The range stops at today; the period (what a series' granularity reads) does not."""
    clock.move_to(datetime.fromisoformat(f"{today}T12:00:00").replace(tzinfo=IST))
    found = date_range_parse({"time_frame": name}, tz=IST)
    assert (found.start_date.isoformat(), found.end_date.isoformat()) == (first, last)
    assert found.period_end_date.isoformat() == period_end
    assert found.period_days == period_days


def test_explicit_dates_are_their_own_period():
    found = date_range_parse({"start_date": "2025-03-10", "end_date": "2025-03-11"}, tz=IST)
    assert (found.period_end_date, found.period_days) == (None, 2)


@pytest.mark.parametrize("day", ["1970-01-01", "2100-12-31"])
def test_dates_at_the_bounds_are_accepted(day):
    found = date_range_parse({"start_date": day, "end_date": day}, tz=NEW_YORK)
    assert found.end - found.start == timedelta(days=1)
    assert found.end.astimezone(ZoneInfo("UTC")).year in (1970, 2101)


def test_defaults():
    today = local_today(IST)
    assert date_range_parse({}, tz=IST).start_date == today
    thirty = date_range_parse({}, tz=IST, default=30)
    assert (thirty.start_date, thirty.end_date) == (today - timedelta(days=30), today)
    only_end = date_range_parse({"end_date": today.isoformat()}, tz=IST, default_days_back=7)
    assert only_end.start_date == today - timedelta(days=7)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"time_frame": "fortnight"},
            "Invalid time_frame. Must be one of: today, yesterday, this_week, last_week, "
            "this_month, last_month",
        ),
        ({"start_date": "2025/01/01"}, "start_date must be in YYYY-MM-DD format"),
        ({"start_date": "20250101"}, "start_date must be in YYYY-MM-DD format"),
        ({"end_date": "2025-02-30"}, "end_date must be in YYYY-MM-DD format"),
        (
            {"start_date": "2025-02-02", "end_date": "2025-02-01"},
            "start_date cannot be after end_date",
        ),
        (
            {"start_date": "2025-01-01", "end_date": "2025-04-02"},
            "Date range cannot exceed 90 days",
        ),
    ],
)
def test_contract_errors(params, message):
    with pytest.raises(ApplicationError) as error:
        date_range_parse(params, tz=IST, max_days=90)
    assert error.value.message == message
    assert error.value.status_code == 400


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"start_date": "0001-01-01", "end_date": "0001-01-01"},
            "start_date must be between 1970-01-01 and 2100-12-31",
        ),
        (
            {"start_date": "9999-12-31", "end_date": "9999-12-31"},
            "start_date must be between 1970-01-01 and 2100-12-31",
        ),
        ({"start_date": "1969-12-31"}, "start_date must be between 1970-01-01 and 2100-12-31"),
        ({"end_date": "2101-01-01"}, "end_date must be between 1970-01-01 and 2100-12-31"),
    ],
)
def test_dates_out_of_range_are_400(params, message):
    """Year 1 or 9999 overflowed (a 500) once a day was added or the time converted to UTC."""
    with pytest.raises(ApplicationError) as error:
        date_range_parse(params, tz=NEW_YORK, max_days=90)
    assert (error.value.message, error.value.code) == (message, "date_out_of_range")
    assert error.value.status_code == 400
