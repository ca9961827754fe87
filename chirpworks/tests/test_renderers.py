import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

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
