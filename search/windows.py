"""The period a question names ("yesterday", "this week", "last month", "last 7 days", ISO dates),
read in the agency's timezone, for the analytics answers."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chirpworks.timeframes import time_frame_period, within_date_bounds


@dataclass(frozen=True)
class DateWindow:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware
    label: str
    phrase: str  # the words of the question that named it ("" for the default)

    def as_source(self, tz: ZoneInfo) -> dict[str, str]:
        return {
            "start": self.start.astimezone(tz).isoformat(),
            "end": self.end.astimezone(tz).isoformat(),
            "label": self.label,
            "timezone": str(tz),
        }


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def month_start(day: date, months_back: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


_ISO = r"(\d{4}-\d{2}-\d{2})"
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_NUMBER = r"(\d{1,3}|one|two|three|four|five|six|seven)"

# The named periods ``chirpworks.timeframes`` reads (the contract's ``time_frame``), by the words a
# question uses for them; checked in this order.
_TIME_FRAMES = [
    (r"\btoday\b", "today", "today"),
    (r"\byesterday\b", "yesterday", "yesterday"),
    (r"\b(?:this|current) week\b", "this_week", "this week"),
    (r"\b(?:last|previous|past) week\b", "last_week", "last week"),
    (r"\b(?:this|current) month\b", "this_month", "this month"),
    (r"\b(?:last|previous|past) month\b", "last_month", "last month"),
]
_YEARS = [
    (r"\b(?:this|current) year\b", 0, "this year"),
    (r"\b(?:last|previous|past) year\b", 1, "last year"),
]


def _iso_date(text: str) -> date | None:
    """A calendar date within the project's bounds, else None (the words name no period)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if within_date_bounds(day) else None


def _dated_window(
    text: str, window: Callable[..., DateWindow], tomorrow: date
) -> DateWindow | None:
    """A window named by ISO dates ("between A and B", "since A", "on A"), or None."""
    if match := re.search(rf"\b(?:between|from) {_ISO} (?:and|to|until) {_ISO}", text):
        first, last = _iso_date(match[1]), _iso_date(match[2])
        if not (first and last):
            return None
        first, last = min(first, last), max(first, last)
        return window(first, last + timedelta(days=1), f"{first} to {last}", match[0])
    if match := re.search(rf"\bsince {_ISO}", text):
        start = _iso_date(match[1])
        return window(start, tomorrow, f"since {start}", match[0]) if start else None
    if match := re.search(rf"\b(?:on )?{_ISO}", text):
        day = _iso_date(match[1])
        return window(day, day + timedelta(days=1), str(day), match[0]) if day else None
    return None


def date_window_parse(question: str, *, now: datetime, tz: ZoneInfo) -> DateWindow | None:
    """The period a question names, in the agency's timezone; None when it names none.

    A named period ("this week", "last month", ...) is ``chirpworks.timeframes``' whole period,
    first day to last: what is counted stops at "now" anyway, since no call starts in the future.
    """
    text = " ".join(question.lower().split())
    today = now.astimezone(tz).date()
    tomorrow = today + timedelta(days=1)

    def window(start: date, end: date, label: str, phrase: str) -> DateWindow:
        return DateWindow(_midnight(start, tz), _midnight(end, tz), label, phrase)

    if dated := _dated_window(text, window, tomorrow):
        return dated
    if match := re.search(
        rf"\b(?:in the )?(?:last|past|previous) {_NUMBER} (day|week|month)s?", text
    ):
        count = int(_NUMBERS.get(match[1], match[1]) or 1)
        unit = match[2]
        if unit == "month":
            start = month_start(today, count - 1)
            label = f"the last {count} months"
        else:
            days = count * (7 if unit == "week" else 1)
            start = today - timedelta(days=days - 1)
            label = f"the last {count} {unit}s"
        return window(start, tomorrow, label, match[0])
    for pattern, time_frame, label in _TIME_FRAMES:
        if match := re.search(pattern, text):
            first, last = time_frame_period(time_frame, today=today)
            return window(first, last + timedelta(days=1), label, match[0])
    for pattern, years_back, label in _YEARS:
        if match := re.search(pattern, text):
            year = today.year - years_back
            return window(date(year, 1, 1), date(year + 1, 1, 1), label, match[0])
    return None


def default_window(*, now: datetime, tz: ZoneInfo) -> DateWindow:
    """The old system's default: from the start of last month until now."""
    today = now.astimezone(tz).date()
    start = _midnight(time_frame_period("last_month", today=today)[0], tz)
    end = _midnight(today + timedelta(days=1), tz)
    return DateWindow(start, end, "since the start of last month", "")
