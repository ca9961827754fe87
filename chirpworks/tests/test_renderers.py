import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from chirpworks.renderers import FastJSONRenderer

IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(
    "data",
    [
        {"at": datetime(2025, 3, 10, 12, 30, tzinfo=IST), "id": uuid.uuid4()},
        {"at": datetime(2025, 3, 10, 7, 0, 0, 123456, tzinfo=UTC), "day": date(2025, 3, 10)},
        {"naive": datetime(2025, 3, 10, 7, 0), "none": None, "flag": True, "n": 1.5},
        [{"text": "नमस्ते — ok", "nested": {"list": [1, "two", None]}}],
        {"price": Decimal("12.50"), "lazy": gettext_lazy("Hello"), "span": timedelta(hours=1)},
        {"big": 2**70, "keys": {1: "one"}},
        [],
        {},
    ],
)
def test_same_bytes_as_drf(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_none_renders_empty():
    assert FastJSONRenderer().render(None) == b""


def test_fragments_are_written_as_they_are():
    data = {"stored": orjson.Fragment('{"b": [1, 2.50, 123456789012345678901]}'), "n": 1}
    assert FastJSONRenderer().render(data) == (
        b'{"stored":{"b": [1, 2.50, 123456789012345678901]},"n":1}'
    )


def test_indented_responses_are_drf_indented_including_fragments():
    data = {"at": datetime(2025, 3, 10, 12, 30, tzinfo=IST), "big": 2**70, "list": [1, 2]}
    context = {"indent": 2}
    assert FastJSONRenderer().render(data, renderer_context=context) == JSONRenderer().render(
        data, renderer_context=context
    )
    fragment = {"stored": orjson.Fragment('{"a": [1, 2]}')}
    assert FastJSONRenderer().render(fragment, "application/json; indent=4") == (
        JSONRenderer().render({"stored": {"a": [1, 2]}}, "application/json; indent=4")
    )


def test_it_is_the_default_renderer(client_for, seller):
    response = client_for(seller).get("/api/user/get_user")
    assert type(response.accepted_renderer) is FastJSONRenderer
