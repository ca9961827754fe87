"""Migration 0009 rewrites every stored ``detected_products`` to the analysis schema's one shape."""

import importlib

import pytest
from django.apps import apps
from django.db.models import JSONField, Value
from model_bakery import baker

from meetings.models import Meeting
from meetings.tests.factories import ist, make_meeting
from products.models import Product

pytestmark = pytest.mark.django_db

migration = importlib.import_module("meetings.migrations.0010_detected_products_one_shape")


def stored(meeting: Meeting, value) -> Meeting:
    if value is None:  # JSON null, not SQL NULL
        value = Value(None, JSONField())
    Meeting.objects.filter(pk=meeting.pk).update(detected_products=value)  # as old code left it
    return meeting


def product(name: str, product_id=None, *, level=None, features=(), mentions=1) -> dict:
    return {
        "product_id": product_id,
        "product_name": name,
        "features": list(features),
        "mentions": mentions,
        "interest_level": level,
    }


def test_every_old_shape_becomes_the_one_shape(seller, agency):
    plan = baker.make(Product, agency=agency, name="Term Shield")
    start = ist(2026, 11, 10)
    rows = {
        "dict_by_id": (
            {"productId": str(plan.pk)},
            [product("Term Shield", str(plan.pk))],
        ),
        "names": (["Villa", "", None], [product("Villa")]),
        "one_name": ("Plot", [product("Plot")]),
        "camel_case": (
            [{"productName": "Gold", "interest_level": "HIGH", "features": "rider"}],
            [product("Gold", level="high", features=["rider"])],
        ),
        "mixed": (
            [{"id": "p1", "title": "Loan", "mentions": "3"}, "Card", {"junk": 1}],
            [product("Loan", "p1", mentions=3), product("Card")],
        ),
        "unknown_id": ([{"product_id": "p9"}], [product("p9", "p9")]),
        "bad_level": (
            [{"product_name": "Silver", "interest_level": "very high", "mentions": -2}],
            [product("Silver")],
        ),
        "empty_dict": ({}, []),
        "null": (None, []),
    }
    meetings = {
        key: stored(make_meeting(seller, start=start), old) for key, (old, _) in rows.items()
    }
    canonical = [product("Term Shield", str(plan.pk), level="medium", features=["a"])]
    untouched = stored(make_meeting(seller, start=start), canonical)

    migration.forwards(apps, None)

    for key, (_, expected) in rows.items():
        meetings[key].refresh_from_db()
        assert meetings[key].detected_products == expected, key
    untouched.refresh_from_db()
    assert untouched.detected_products == canonical


def test_it_is_idempotent(seller):
    meeting = stored(make_meeting(seller, start=ist(2026, 11, 10)), ["Villa", {"name": "Plot"}])
    migration.forwards(apps, None)
    meeting.refresh_from_db()
    once = meeting.detected_products
    migration.forwards(apps, None)
    meeting.refresh_from_db()
    assert meeting.detected_products == once == [product("Villa"), product("Plot")]
