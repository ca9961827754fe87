"""Timestamps, ids and JSON read as text give exactly what the ORM's own conversion gives."""

import gc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.db.models import JSONField, Value

from actions.models import Action
from chirpworks.fastrows import (
    as_text,
    collector_paused,
    json_fragment,
    json_value,
    utc_datetime,
    uuid_text,
)
from chirpworks.renderers import FastJSONRenderer
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


@pytest.mark.django_db
def test_ids_and_fragments_render_as_the_orm_values(seller):
    meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
    for index, value in enumerate(JSON_VALUES):
        make_action(
            meeting,
            title=f"a{index}",
            description=Value(None, JSONField()) if value is None else value,
            signals=[value],
        )
    columns = ("id", "meeting_id", "description", "signals")
    ordered = Action.objects.order_by("title")
    expected = [
        {"id": pk, "meeting": meeting_id, "description": description, "signals": signals}
        for pk, meeting_id, description, signals in ordered.values_list(*columns)
    ]
    fast = [
        {
            "id": uuid_text(pk),
            "meeting": uuid_text(meeting_id),
            "description": json_fragment(description),
            "signals": json_fragment(signals),
        }
        for pk, meeting_id, description, signals in ordered.values_list(
            *(as_text(name) for name in columns)
        )
    ]
    rendered = FastJSONRenderer().render(fast)
    # The same JSON, value for value and type for type; stored JSON keeps the database's spacing.
    assert repr(orjson.loads(rendered)) == repr(orjson.loads(FastJSONRenderer().render(expected)))
    # Built of text and fragments only, the rows cost the garbage collector nothing.
    assert not any(gc.is_tracked(row) for row in fast)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("f9a6d9d7-07ac-4821-be65-640f0c45b27c", "f9a6d9d7-07ac-4821-be65-640f0c45b27c"),
        ("f9a6d9d707ac4821be65640f0c45b27c", "f9a6d9d7-07ac-4821-be65-640f0c45b27c"),  # SQLite
    ],
)
def test_uuid_text(text, expected):
    assert uuid_text(text) == expected


def test_json_fragment_passes_valid_json_through_and_parses_the_rest():
    assert json_fragment(None) is None
    assert orjson.dumps(json_fragment('{"n": 123456789012345678901234567890}')) == (
        b'{"n": 123456789012345678901234567890}'
    )
    # SQLite may hold what JSON cannot: parsed, it renders as the JSON renderer writes a float.
    assert json_fragment('{"x": NaN, "y": -Infinity}') != json_fragment('{"x": NaN}')
    assert orjson.loads(FastJSONRenderer().render([json_fragment('{"x": NaN}')])) == [{"x": None}]


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
