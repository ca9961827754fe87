"""The contract's date-range query parameters, read in the agency's timezone.

``start_date`` / ``end_date`` (``YYYY-MM-DD``, years 1970-2100) cover whole local days; with
neither, ``time_frame`` picks a named range (``today`` by default). A range is ``[start, end)`` in
aware datetimes, so a day's last microsecond is never lost and the next day's midnight is never
counted twice.

A named frame is a whole period (``this_week`` Monday to Sunday, ``this_month`` the whole month)
whose range stops at today: days still to come hold no calls (the contract lists the old
backend's zero buckets for them as a defect). The period's own last day is kept
(``period_end_date``) so that what depends on the period's length (analytics' hourly or daily
series) does not change with the day of the week or month it is asked on.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from rest_framework import serializers

from chirpworks.exceptions import ApplicationError
from chirpworks.query_params import StrictQuerySerializer

TIME_FRAMES = ("today", "yesterday", "this_week", "last_week", "this_month", "last_month")
# Dates outside these years are typing mistakes, and year 1 or 9999 overflows once a day is added
# or the time converted to UTC.
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2100, 12, 31)


def within_date_bounds(value: date | datetime) -> bool:
    """Whether a date (or a datetime's own date) is from ``MIN_DATE`` to ``MAX_DATE``."""
    day = value.date() if isinstance(value, datetime) else value
    return MIN_DATE <= day <= MAX_DATE


@dataclass(frozen=True)
class DateRange:
    start_date: date
    end_date: date  # inclusive
    tz: ZoneInfo
    # A named frame's last day, which may be after ``end_date`` (Sunday of ``this_week``).
    period_end_date: date | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.start_date, time(), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after ``end_date``."""
        return datetime.combine(self.end_date + timedelta(days=1), time(), tzinfo=self.tz)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def dates(self) -> list[date]:
        return [self.start_date + timedelta(days=offset) for offset in range(self.days)]

    @property
    def period_days(self) -> int:
        """Days of the period asked for: a named frame's whole week or month, even cut at today."""
        return ((self.period_end_date or self.end_date) - self.start_date).days + 1


def local_today(tz: ZoneInfo) -> date:
    return timezone.now().astimezone(tz).date()


def time_frame_period(name: str, *, today: date) -> tuple[date, date]:
    """A named frame's whole period, first and last day (``this_week``: Monday to Sunday).

    The one reading of "today", "this week", "last month", ... : the contract's ``time_frame``
    and the periods search questions name both come from here.
    """
    if name == "today":
        return today, today
    if name == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    monday = today - timedelta(days=today.weekday())
    if name == "this_week":
        return monday, monday + timedelta(days=6)
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first = today.replace(day=1)
    if name == "this_month":
        next_first = (first + timedelta(days=31)).replace(day=1)
        return first, next_first - timedelta(days=1)
    last_month_end = first - timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end


RELATIVE_SINCE = re.compile(r"^(\d+)([dhm])$")
_SINCE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def since_parse(value: str, *, tz: ZoneInfo | None = None) -> datetime:
    """When "since ``value``" starts, for the operators' ``--since``.

    ``7d`` / ``12h`` / ``30m`` ago; a time frame (``this_month``: midnight on its first day, the
    same period ``date_range_parse`` reads); or an ISO date or time. ``tz`` (default: the
    server's) is the day's timezone and a naive time's.
    """
    tz = tz or timezone.get_default_timezone()
    text = value.strip()
    match = RELATIVE_SINCE.match(text)
    if match:
        return timezone.now() - timedelta(**{_SINCE_UNITS[match[2]]: int(match[1])})
    if text.lower() in TIME_FRAMES:
        first, _ = time_frame_period(text.lower(), today=local_today(tz))
        return datetime.combine(first, time(), tzinfo=tz)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ApplicationError(
            f"--since: expected 7d, 12h, 30m, a time frame ({', '.join(TIME_FRAMES)}) or an "
            f"ISO date, got {value!r}",
            code="invalid_since",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _parse_date(value: str, name: str) -> date:
    try:
        # fromisoformat also takes "20250101", which the contract does not
        parsed = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ApplicationError(f"{name} must be in YYYY-MM-DD format", code="invalid_date")
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise ApplicationError(
            f"{name} must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}",
            code="date_out_of_range",
        )
    return parsed


def date_range_parse(
    params: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    max_days: int = 365,
    default_days_back: int = 0,
    default: str | int = "today",
) -> DateRange:
    """Read ``start_date`` / ``end_date`` / ``time_frame`` from query ``params``.

    With only one date, the other is today (minus ``default_days_back`` for a missing start).
    With no parameter at all, ``default`` is a time frame name or a number N of days back from
    today. A time frame's range ends today at the latest; its ``period_end_date`` is the frame's
    own last day. Bad values raise the contract's 400 messages.
    """
    for name in ("time_frame", "start_date", "end_date"):
        if name in params and not str(params.get(name) or "").strip():
            raise ApplicationError(f"{name} may not be empty", code="invalid")
    today = local_today(tz)
    period_end = None
    raw_start = (params.get("start_date") or "").strip()
    raw_end = (params.get("end_date") or "").strip()
    if raw_start or raw_end:
        start = (
            _parse_date(raw_start, "start_date")
            if raw_start
            else today - timedelta(days=default_days_back)
        )
        end = _parse_date(raw_end, "end_date") if raw_end else today
    else:
        time_frame = (params.get("time_frame") or "").strip().lower()
        if time_frame and time_frame not in TIME_FRAMES:
            raise ApplicationError(
                f"Invalid time_frame. Must be one of: {', '.join(TIME_FRAMES)}",
                code="invalid_time_frame",
            )
        if not time_frame and isinstance(default, int):
            start, end = today - timedelta(days=default), today
        else:
            start, period_end = time_frame_period(time_frame or str(default), today=today)
            end = min(period_end, today)
    if start > end:
        raise ApplicationError("start_date cannot be after end_date", code="invalid_date_range")
    if (end - start).days > max_days:
        raise ApplicationError(
            f"Date range cannot exceed {max_days} days", code="date_range_too_long"
        )
    return DateRange(start_date=start, end_date=end, tz=tz, period_end_date=period_end)


class DateRangeQuerySerializer(StrictQuerySerializer):
    """Documents the parameters in the schema; ``date_range_parse`` reads them."""

    time_frame = serializers.ChoiceField(choices=TIME_FRAMES, required=False)
    start_date = serializers.DateField(required=False, help_text="YYYY-MM-DD, agency timezone.")
    end_date = serializers.DateField(required=False, help_text="YYYY-MM-DD, agency timezone.")


class BoundedDateTimeField(serializers.DateTimeField):
    """An input datetime with a date from ``MIN_DATE`` to ``MAX_DATE``.

    DRF's own field raises OverflowError (a 500) on year 1 or 9999 while converting to UTC; the
    bound is checked before that conversion.
    """

    default_error_messages = {
        "date_out_of_range": (
            f"Date must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
        ),
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if not within_date_bounds(value):
            self.fail("date_out_of_range")
        return super().enforce_timezone(value)
