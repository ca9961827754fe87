"""Reading thousands of rows quickly: timestamps, ids and JSON fetched as text.

Django's PostgreSQL backend turns each ``timestamptz`` into a datetime in Python (~5 µs a value),
each UUID into a ``uuid.UUID`` (~3 µs) and each JSON value with the ``json`` module; for the views
that answer thousands of rows that costs more than the query. ``as_text`` selects a column as
text instead; ``utc_datetime``, ``uuid_text`` and ``json_value`` give back what the ORM (and then
the renderer) would have: the same instant, the same id text, the same Python values.

``json_fragment`` goes further for JSON that is only passed through to a response: the stored text
itself, which the renderer (``chirpworks.renderers``) writes into the body as it is. A row built
only of text, numbers, datetimes and fragments is a dict the cyclic garbage collector never
tracks, so a list of thousands of them costs the collector nothing while it lives (DRF keeps a
response's data in a reference cycle until the collector runs). ``collector_paused`` keeps the
collector out of building such a list.
"""

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db.models import Expression, TextField
from django.db.models.functions import Cast

# orjson reads an integer beyond 64 bits as a float, at least this large: the json module then
# reads the text again (a real float this large reads the same either way).
_BEYOND_64_BITS = 2.0**63


def as_text(name: str) -> Expression:
    """The column as text: ``2025-03-05 04:30:00.5+00`` (PostgreSQL) / naive UTC (SQLite)."""
    return Cast(name, output_field=TextField())


def utc_datetime(value: str | None) -> datetime | None:
    """A timestamp selected with ``as_text``, as the aware datetime the ORM returns."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    # SQLite stores naive UTC (USE_TZ); PostgreSQL writes the session's offset.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def uuid_text(value: str | None) -> str | None:
    """A UUID column selected with ``as_text``, as the text DRF renders for a ``uuid.UUID``."""
    if value is None or len(value) == 36:  # PostgreSQL writes the canonical form
        return value
    # SQLite stores the 32 hex digits.
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def json_fragment(value: str | None) -> Any:
    """A JSON column selected with ``as_text``, to be written into a response as it is stored.

    PostgreSQL's ``jsonb`` text is always valid JSON (spaced as ``{"a": 1}``). SQLite holds what
    Python's ``json.dumps`` wrote, which may include ``NaN`` or ``Infinity``: such a value is
    parsed instead, and renders as JSON does any other Python value.
    """
    if value is None:
        return None
    if "NaN" in value or "Infinity" in value:
        return json_value(value)
    return orjson.Fragment(value)


def json_value(value: str | None) -> Any:
    """A JSON column selected with ``as_text``, as the value ``JSONField`` returns."""
    if value is None:
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:  # lone surrogates, NaN (SQLite): the json module takes them
        return json.loads(value)
    return json.loads(value) if _has_huge_float(parsed) else parsed


def _has_huge_float(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is float:
            if abs(item) >= _BEYOND_64_BITS:
                return True
        elif kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
    return False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while thousands of rows are fetched and built.

    Every row allocates a dozen objects that all stay alive, so the collector's passes (full
    ones over the whole heap among them) free nothing; on an 8,000-row list they cost about
    as much as the query. Reference counting still frees everything; the collector resumes
    after. A collector someone else paused is left paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
