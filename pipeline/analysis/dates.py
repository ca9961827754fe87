"""Due dates from speech: find time expressions in a sentence and resolve them with ``dateparser``.

Everything is relative to the call's start, in the agency's timezone. Spoken numbers are turned
into digits first (text2num: "on the twenty fifth" -> "on the 25th"). ``dateparser`` resolves the
common relative and absolute forms ("tomorrow evening", "by Friday", "in 3 days", "next week",
"december 3"); a few forms it gets wrong or does not know are computed here:
"the 25th" (the next such day of a month), "end of the month", "end of (next) week",
"this week", "next <weekday>" / "next week <weekday>" (that weekday of the following
Monday-to-Sunday week), "a couple of days", "right after this call" / "immediately" (the call's
day, an hour on), "first week of next month" (a period is due on its first day), "next month"
(its first day), "this weekend" (Saturday), "after Diwali" / "before Holi" (the festival table
below), "EOD", "month end". A weekday alone is its next occurrence after the call's day.

A due date with no time of day is set to ``DEFAULT_DUE_TIME`` (end of the working day); a part of
day maps to a clock time (morning 10:00, afternoon 15:00, evening 18:00, night 20:00); a bare
"at 4" means 4 pm (1-7 are afternoon hours in business talk).
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import dateparser

from pipeline.analysis.text import numbers_to_digits

DEFAULT_DUE_TIME = time(18, 0)
PART_OF_DAY = {
    "morning": time(10, 0),
    "afternoon": time(15, 0),
    "evening": time(18, 0),
    "night": time(20, 0),
    "tonight": time(20, 0),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WD = "|".join(WEEKDAYS)
_ORD = r"(?:st|nd|rd|th)"
_PART = r"(?:\s+(?:in\s+the\s+)?(?P<part>morning|afternoon|evening|night))?"

# Phrases rewritten before matching so that dateparser and the patterns below understand them.
_REWRITES = (
    (re.compile(r"\ba couple of\b", re.I), "2"),
    (re.compile(r"\ba few\b", re.I), "3"),
    (re.compile(r"\bwithin\b", re.I), "in"),
    (re.compile(r"\b(?:this\s+)?coming\s+(?=" + _WD + r")", re.I), ""),
    (re.compile(r"\bthe\s+first\b(?=\s+of\b|\s*[,.?!]|\s*$)", re.I), "the 1st"),
    (re.compile(r"\bthe\s+second\b(?=\s+of\b|\s*[,.?!]|\s*$)", re.I), "the 2nd"),
    (re.compile(r"\bthe\s+third\b(?=\s+of\b|\s*[,.?!]|\s*$)", re.I), "the 3rd"),
    (re.compile(r"\b(?:a|an|one)\s+(hour|minute|day|week|month)\b", re.I), r"1 \1"),
    (re.compile(r"\bhalf\s+an\s+hour\b", re.I), "30 minutes"),
    (re.compile(r"\b(?:a|one)\s+fortnight\b", re.I), "2 weeks"),
    (re.compile(r"\bnoon\b", re.I), "12 pm"),
    (re.compile(r"\bmonth[\s-]end\b", re.I), "end of the month"),
    (re.compile(r"\be\.?o\.?d\b", re.I), "eod"),
)

# Festivals whose dates move every year (the main day; Diwali is Lakshmi Puja). "after X" is the
# day after, "before X" the day before, "on/by X" the day itself; a festival already past this
# year is next year's.
FESTIVALS: dict[str, tuple[date, ...]] = {
    "diwali": (date(2025, 10, 21), date(2026, 11, 8), date(2027, 10, 29), date(2028, 10, 17)),
    "deepavali": (date(2025, 10, 21), date(2026, 11, 8), date(2027, 10, 29), date(2028, 10, 17)),
    "dhanteras": (date(2025, 10, 18), date(2026, 11, 6), date(2027, 10, 27), date(2028, 10, 15)),
    "holi": (date(2026, 3, 4), date(2027, 3, 22), date(2028, 3, 11)),
    "dussehra": (date(2025, 10, 2), date(2026, 10, 20), date(2027, 10, 9), date(2028, 9, 27)),
    "dasara": (date(2025, 10, 2), date(2026, 10, 20), date(2027, 10, 9), date(2028, 9, 27)),
    "ganesh chaturthi": (date(2025, 8, 27), date(2026, 9, 14), date(2027, 9, 4)),
    "onam": (date(2025, 9, 5), date(2026, 8, 26), date(2027, 9, 12)),
    "pongal": (date(2026, 1, 14), date(2027, 1, 15), date(2028, 1, 15)),
    "sankranti": (date(2026, 1, 14), date(2027, 1, 15), date(2028, 1, 15)),
    "new year": (date(2026, 1, 1), date(2027, 1, 1), date(2028, 1, 1)),
}
_FEST = "|".join(sorted((re.escape(f).replace("\\ ", r"\s+") for f in FESTIVALS), key=len)[::-1])
_WEEK_ORD = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "last": 4,
    "fourth": 4,
    "4th": 4,
}

# (name, pattern). Longer, more specific forms first; overlapping later matches are dropped.
_DATE_PATTERNS = (
    (
        "week_of_month",
        r"\b(?:the\s+)?(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th|last)\s+week\s+of\s+"
        r"(?:the\s+)?(?P<which>this|next|coming)?\s*(?P<m>month|" + MONTHS + r")",
    ),
    ("festival", r"\b(?P<rel>after|before|by|on|for|till|until)?\s*(?P<fest>" + _FEST + r")\b"),
    (
        "after_call",
        r"\b(?:right\s+|just\s+|immediately\s+|soon\s+)?after\s+(?:this|the|our)\s+call\b"
        r"|\b(?:right\s+away|immediately|right\s+now|now\s+itself|asap)\b",
    ),
    (
        "next_week_weekday",
        r"\bnext\s+week\s+(?:on\s+)?(?P<wd>"
        + _WD
        + r")"
        + _PART
        + r"|\b(?P<wd2>"
        + _WD
        + r")\s+(?:of\s+)?next\s+week\b",
    ),
    ("weekend", r"\b(?:this\s+|the\s+|over\s+the\s+)?(?P<next>next\s+)?weekend\b"),
    ("in_units", r"\b(?:in|after)\s+(?P<n>\d+)\s+(?P<unit>hour|minute|day|week|month)s?"),
    ("from_now", r"\b(?P<n>\d+)\s+(?P<unit>day|week|month)s?\s+from\s+(?:now|today)"),
    ("after_tomorrow", r"\b(?:the\s+)?day\s+after\s+tomorrow" + _PART),
    (
        "end_of",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<next>next\s+)?(?P<unit>week|month)",
    ),
    ("early_next_week", r"\bearly\s+next\s+week"),
    ("later_this_week", r"\b(?:later|sometime)\s+this\s+week"),
    ("tomorrow", r"\btomorrow" + _PART),
    (
        "today",
        r"\b(?:today|tonight|end\s+of\s+(?:the\s+)?day|eod|this\s+(?P<part>morning|afternoon|evening))\b",
    ),
    ("next_weekday", r"\bnext\s+(?P<wd>" + _WD + r")" + _PART),
    ("weekday", r"\b(?:this\s+|on\s+)?(?P<wd>" + _WD + r")" + _PART),
    ("this_week", r"\bthis\s+week\b"),
    ("next_unit", r"\b(?:next|coming)\s+(?P<unit>week|month)\b"),
    (
        "day_month",
        r"\b(?:the\s+)?(?P<d>\d{1,2})" + _ORD + r"?\s+(?:of\s+)?(?P<m>" + MONTHS + r")\b",
    ),
    ("month_day", r"\b(?P<m>" + MONTHS + r")\s+(?P<d>\d{1,2})" + _ORD + r"?\b"),
    (
        "ordinal_day",
        r"\b(?:(?:on|by|before|until|till|for)\s+the\s+(?P<d>\d{1,2})" + _ORD + r"\b"
        r"(?!\s+(?:\d|few|couple|weeks?|months?|years?|days?|times?|floor|instalments?|"
        r"installments?|payments?|batch|lot|ones?|step|round|meeting|visit|call)\b)"
        r"|the\s+(?P<d2>\d{1,2})" + _ORD + r"(?=\s*(?:[,.?!]|$|of\s+(?:this|next|the)\s+month)))",
    ),
)
_DATE_RE = [(name, re.compile(pattern, re.I)) for name, pattern in _DATE_PATTERNS]
_TIME_RE = re.compile(
    r"\b(?:(?:at|by|around|before|after)\s+)?(?:(?P<half>half\s+past)\s+)?"
    r"(?P<h>\d{1,2})(?:(?::|\.|\s)(?P<m>[0-5]\d))?"
    r"(?:\s*(?P<ampm>a\.?\s?m\b\.?|p\.?\s?m\b\.?|o'?\s?clock))?"
    r"(?:\s+in\s+the\s+(?P<part>morning|afternoon|evening)|\s+(?P<tonight>tonight))?",
    re.I,
)


@dataclass(frozen=True)
class DateMention:
    phrase: str  # the words as found (after number normalisation)
    start: int  # span in the normalised text
    end: int
    when: datetime  # timezone-aware, in the agency's timezone
    has_day: bool = True  # False for a clock time alone ("at 4"): it sets the hour, not the day


def normalise(text: str) -> str:
    """Spoken numbers to digits and a few idioms rewritten; keep the case of the rest."""
    text = numbers_to_digits(text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=1)
def _warm() -> None:
    dateparser.parse("tomorrow", languages=["en"])  # loads dateparser's language data once


def _dateparser(phrase: str, base: datetime) -> datetime | None:
    """Resolve with dateparser relative to ``base`` (aware, agency timezone)."""
    _warm()
    settings = {
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": str(base.tzinfo),
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    result = dateparser.parse(phrase, languages=["en"], settings=settings)
    if result is None:
        return None
    return result.astimezone(base.tzinfo)


def _at(day: date, tod: time | None, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, tod or DEFAULT_DUE_TIME, tzinfo=tz)


def _next_day_of_month(day: int, base: datetime) -> date | None:
    """The next date (today included) whose day of month is ``day``."""
    if not 1 <= day <= 31:
        return None
    year, month = base.year, base.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= base.date():
                return candidate
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return None


def _resolve(name: str, match: re.Match, base: datetime) -> tuple[date | datetime, time | None]:
    """A date (or an exact datetime for hours/minutes) and the part-of-day time if one was said."""
    groups = match.groupdict()
    part = groups.get("part")
    tod = PART_OF_DAY.get(part.lower()) if part else None
    today = base.date()
    monday = today - timedelta(days=today.weekday())
    if name == "week_of_month":
        ordinal = _WEEK_ORD[groups["ord"].lower()]
        unit = groups["m"].lower()
        if unit == "month":
            month = base.month + (1 if (groups["which"] or "").lower() in ("next", "coming") else 0)
            year = base.year + (month > 12)
            month = (month - 1) % 12 + 1
        else:
            month = _month_number(unit)
            year = base.year + (month < base.month)
        first = 1 + 7 * (ordinal - 1)
        if ordinal == 4 and groups["ord"].lower() == "last":
            first = calendar.monthrange(year, month)[1] - 6
        return date(year, month, first), tod
    if name == "festival":
        key = " ".join(groups["fest"].lower().split())
        day = next((d for d in FESTIVALS[key] if d >= today), None)
        if day is None:
            raise ValueError("festival not in the table")
        rel = (groups["rel"] or "").lower()
        if rel == "after":
            day += timedelta(days=1)
        elif rel == "before":
            day -= timedelta(days=1)
        return day, tod
    if name == "after_call":
        return base + timedelta(hours=1), None
    if name == "next_week_weekday":
        weekday = WEEKDAYS.index((groups["wd"] or groups["wd2"]).lower())
        return monday + timedelta(days=7 + weekday), tod
    if name == "weekend":
        saturday = monday + timedelta(days=5 + (7 if groups["next"] else 0))
        return (saturday if saturday >= today else saturday + timedelta(days=7)), tod
    if name == "next_unit" and groups["unit"].lower() == "month":
        month = base.month % 12 + 1
        return date(base.year + (month == 1), month, 1), tod
    if name == "next_unit":
        return today + timedelta(days=7), tod  # "next week": a week on
    if name == "after_tomorrow":
        return today + timedelta(days=2), tod
    if name == "tomorrow":
        return today + timedelta(days=1), tod
    if name == "today":
        if "tonight" in match.group(0).lower():
            tod = PART_OF_DAY["tonight"]
        return today, tod
    if name == "end_of":
        if groups["unit"].lower() == "week":
            friday = monday + timedelta(days=4 + (7 if groups["next"] else 0))
            return (friday if friday >= today else friday + timedelta(days=7)), tod
        month = base.month + (1 if groups["next"] else 0)
        year = base.year + (month > 12)
        month = (month - 1) % 12 + 1
        return date(year, month, calendar.monthrange(year, month)[1]), tod
    if name == "early_next_week":
        return monday + timedelta(days=7), tod
    if name in ("later_this_week", "this_week"):
        friday = monday + timedelta(days=4)
        return (friday if friday >= today else today), tod
    if name == "next_weekday":
        weekday = WEEKDAYS.index(groups["wd"].lower())
        return monday + timedelta(days=7 + weekday), tod
    if name == "weekday":
        weekday = WEEKDAYS.index(groups["wd"].lower())
        ahead = (weekday - today.weekday()) % 7 or 7  # "Thursday" said on a Thursday: next week's
        return today + timedelta(days=ahead), tod
    if name == "ordinal_day":
        day = _next_day_of_month(int(groups["d"] or groups["d2"]), base)
        if day is None:
            raise ValueError("no such day")
        return day, tod
    if name in ("in_units", "from_now"):
        n, unit = int(groups["n"]), groups["unit"].lower()
        if unit in ("hour", "minute"):
            return base + timedelta(**{unit + "s": n}), None
        if unit in ("day", "week"):
            return today + timedelta(days=n * (7 if unit == "week" else 1)), tod
        phrase = f"in {n} {unit}s"
    else:
        phrase = match.group(0)
    resolved = _dateparser(phrase, base)
    if resolved is None:
        raise ValueError("unparsed")
    return resolved.date(), tod


def _month_number(name: str) -> int:
    name = name.lower()[:3]
    return [m[:3] for m in MONTHS.split("|")[:12]].index(name) + 1


def _clock(match: re.Match) -> time | None:
    """A clock time from a time match, or None when the number is not a time of day."""
    hour = int(match.group("h"))
    minute = int(match.group("m") or 0)
    ampm = (match.group("ampm") or "").lower().replace(".", "").replace(" ", "")
    part = (match.group("part") or match.group("tonight") or "").lower()
    said_at = match.group(0).lower().lstrip().startswith(("at", "by", "around", "before", "after"))
    if not (ampm or part or said_at or match.group("half")) or hour > 23:
        return None  # a bare number is not a time ("3 days", "20 years")
    if match.group("half"):
        minute = 30
    if ampm.startswith("p") or part in ("afternoon", "evening", "tonight"):
        hour = hour + 12 if hour < 12 else hour
    elif ampm.startswith("a") or part == "morning":
        hour = 0 if hour == 12 else hour
    elif hour <= 7:
        hour += 12  # "at 4" in a business call means 4 pm
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def find_dates(text: str, *, base: datetime) -> tuple[str, list[DateMention]]:
    """The normalised text and the due dates mentioned in it, in order of appearance.

    ``base`` is the call's start, timezone-aware in the agency's timezone.
    """
    norm = normalise(text)
    tz = base.tzinfo
    found: list[tuple[int, int, date | datetime, time | None]] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _DATE_RE:
        for match in pattern.finditer(norm):
            start, end = match.span()
            if any(start < t_end and end > t_start for t_start, t_end in taken):
                continue
            try:
                day, tod = _resolve(name, match, base)
            except ValueError:
                continue
            taken.append((start, end))
            found.append((start, end, day, tod))
    times: list[tuple[int, int, time]] = []
    for match in _TIME_RE.finditer(norm):
        start, end = match.span()
        if any(start < t_end and end > t_start for t_start, t_end in taken):
            continue
        clock = _clock(match)
        if clock is not None:
            times.append((start, end, clock))
    found.sort()
    mentions: list[DateMention] = []
    used_times: set[int] = set()
    for start, end, day, tod in found:
        if isinstance(day, datetime):  # "in 2 hours": an exact moment
            when = day
        else:
            near = [
                (abs(t_start - end if t_start >= end else start - t_end), i)
                for i, (t_start, t_end, _) in enumerate(times)
                if i not in used_times and (0 <= t_start - end <= 12 or 0 <= start - t_end <= 12)
            ]
            if near:
                index = min(near)[1]
                used_times.add(index)
                t_start, t_end, clock = times[index]
                start, end, tod = min(start, t_start), max(end, t_end), clock
            when = _at(day, tod, tz)
        mentions.append(DateMention(norm[start:end].strip(), start, end, when))
    for index, (t_start, t_end, clock) in enumerate(times):
        if index in used_times or found:
            continue
        day = (
            base.date()
            if clock > base.timetz().replace(tzinfo=None)
            else base.date() + timedelta(days=1)
        )
        mentions.append(
            DateMention(
                norm[t_start:t_end].strip(), t_start, t_end, _at(day, clock, tz), has_day=False
            )
        )
    mentions.sort(key=lambda m: m.start)
    return norm, mentions


def resolve_due(phrase: str, *, base: datetime) -> datetime | None:
    """The first due date in ``phrase`` (e.g. "by Friday"), or None."""
    _, mentions = find_dates(phrase, base=base)
    return mentions[0].when if mentions else None


def local_base(call_start: datetime, timezone: str) -> datetime:
    """The call's start in the agency's timezone (what relative phrases are relative to)."""
    if call_start.tzinfo is None:
        raise ValueError("call_start must be timezone-aware")
    return call_start.astimezone(ZoneInfo(timezone))
