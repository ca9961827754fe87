"""Reading thousands of rows quickly: timestamps and JSON fetched as text, parsed in C.

Django's PostgreSQL backend turns each ``timestamptz`` into a datetime in Python and each JSON
value with the ``json`` module; for the views that answer thousands of rows that costs more than
the query. ``as_text`` selects a column as text instead; ``utc_datetime`` and ``json_value`` give
back exactly what the ORM would have (the same instant, the same Python values).
"""

import json
import re
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db.models import Expression, TextField
from django.db.models.functions import Cast

# orjson reads integers beyond 64 bits as floats: such texts go through the json module.
_LONG_NUMBER = re.compile(r"\d{17}")


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


def json_value(value: str | None) -> Any:
    """A JSON column selected with ``as_text``, as the value ``JSONField`` returns."""
    if value is None:
        return None
    if _LONG_NUMBER.search(value):
        return json.loads(value)
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # e.g. lone surrogates, which the json module accepts
        return json.loads(value)
