"""Timestamps and JSON read as text give exactly what the ORM's own conversion gives."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import JSONField, Value

from actions.models import Action
from chirpworks.fastrows import as_text, collector_paused, json_value, utc_datetime
from meetings.tests.factories import ist, make_action, make_meeting

IST = ZoneInfo("Asia/Kolkata")
JSON_VALUES = [
    {},
    [],
    {"text": "नमस्ते — ok 🎉", "nested": {"list": [1, "two", None, True, False]}},
    {"n": 2**70, "small": -(2**63), "float": 0.1, "tiny": 1e-7, "exp": 12345.678e10},
    [2**64 - 1, 2**64, -(2**63) - 1, 10**30, 1e19, -1e300, [{"deep": 2**80}]],
    {"huge": 1.7976931348623157e308, "neg": -0.0, "int_like": 3.0},
    ["a", {"b": [{"c": "\\n \" '"}]}],
    "a bare string",
    42,
    None,
]
DATETIMES = [
    None,
    datetime(2025, 3, 10, 0, 0, tzinfo=IST),
    datetime(2025, 3, 10, 7, 0, 0, 123456, tzinfo=UTC),
    datetime(2025, 3, 10, 7, 0, 0, 120000, tzinfo=UTC),
    datetime(2025, 3, 10, 7, 0, 0, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2025, 11, 2, 1, 30, tzinfo=ZoneInfo("America/New_York")),  # a DST fold
]


@pytest.mark.django_db
def test_same_values_as_the_orm(seller):
    meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
    for index, value in enumerate(JSON_VALUES):
        make_action(
            meeting,
            title=f"a{index}",
            # Python None is SQL NULL, refused here: store JSON null instead.
            description=Value(None, JSONField()) if value is None else value,
            signals=[value],
            due_date=DATETIMES[index % len(DATETIMES)],
        )
    columns = ("due_date", "created_at", "description", "signals")
    ordered = Action.objects.order_by("title")
    expected = list(ordered.values_list(*columns))
    fast = [
        (utc_datetime(due), utc_datetime(created), json_value(description), json_value(signals))
        for due, created, description, signals in ordered.values_list(
            *(as_text(name) for name in columns)
        )
    ]
    assert fast == expected
    # Equal values could still differ in type (1 vs 1.0, naive vs aware): compare those too.
    assert [[repr(v) for v in row] for row in fast] == [[repr(v) for v in row] for row in expected]


def test_json_value_falls_back_where_orjson_differs():
    assert json_value('{"n": 123456789012345678901234567890}') == {
        "n": 123456789012345678901234567890
    }
    assert json_value("[18446744073709551616, 1e19]") == [2**64, 1e19]
    assert type(json_value('{"a": [[-9223372036854775809]]}')["a"][0][0]) is int
    assert json_value('"\\ud800"') == "\ud800"  # a lone surrogate orjson refuses
    assert json_value('{"x": NaN}')["x"] != json_value('{"x": NaN}')["x"]  # SQLite may hold it
    assert json_value(None) is None
    assert json_value("null") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-05 04:30:00+00", datetime(2025, 3, 5, 4, 30, tzinfo=UTC)),
        ("2025-03-05 04:30:00.12+00", datetime(2025, 3, 5, 4, 30, 0, 120000, tzinfo=UTC)),
        ("2025-03-05 10:00:00+05:30", datetime(2025, 3, 5, 4, 30, tzinfo=UTC)),
        ("2025-03-05 04:30:00.000001", datetime(2025, 3, 5, 4, 30, 0, 1, tzinfo=UTC)),
    ],
)
def test_utc_datetime(text, expected):
    parsed = utc_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() is not None
    assert parsed - expected == timedelta(0)


def test_collector_paused_resumes_only_what_it_paused():
    import gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # someone else's pause stays
    finally:
        gc.enable()
