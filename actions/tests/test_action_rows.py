"""The action list's rows, read as text, render the ORM's own values."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.db.models import JSONField, Value
from django.utils import timezone
from model_bakery import baker

from actions.models import Action
from chirpworks.phones import phone_denorm, phone_raw
from chirpworks.renderers import FastJSONRenderer
from meetings.tests.factories import ist, make_action, make_buyer, make_meeting

pytestmark = pytest.mark.django_db


def expected_row(action: Action) -> dict:
    """The contract's row from model instances (the ORM's conversion of every value)."""
    meeting = action.meeting
    return {
        "id": action.pk,
        "title": action.title,
        "due_date": timezone.localtime(action.due_date) if action.due_date else None,
        "status": action.status,
        "description": action.description,
        "meeting_id": meeting.pk,
        "meeting_title": meeting.title,
        "meeting_buyer_number": phone_denorm(meeting.buyer.phone),
        "meeting_buyer_name": meeting.buyer.name or None,
        "meeting_seller_name": meeting.seller.name,
        "reasoning": action.reasoning,
        "signals": action.signals,
        "created_at": timezone.localtime(action.created_at),
        "buyer_id": action.buyer_id,
        "buyer_name": action.buyer.name or None,
        "buyer_phone": phone_raw(action.buyer.phone),
        "buyer_company_name": action.buyer.company_name or None,
    }


def test_bare_list_bytes_equal_the_orm_rows(client_for, seller, agency):
    named = make_buyer(agency, name="Bina", company_name="Bina Co", phone="+919822233344")
    first = make_meeting(seller, buyer=named, start=ist(2025, 3, 10, 10))
    second = make_meeting(seller, start=ist(2025, 3, 11, 10), title="Second call")
    values = [
        ({"text": "नमस्ते 🎉", "n": [1, 2.5, None]}, ["budget"], datetime(2025, 3, 12, tzinfo=UTC)),
        ({}, [], datetime(2025, 3, 12, 4, 5, 6, 120000, tzinfo=UTC)),
        ({"big": 2**40, "f": 0.1}, [{"s": "x"}], None),
        (Value(None, JSONField()), [None], datetime(2025, 3, 12, 4, 5, 6, 1, tzinfo=UTC)),
    ]
    for index, (description, signals, due) in enumerate(values):
        make_action(
            first if index % 2 else second,
            title=f"Action {index}",
            description=description,
            signals=signals,
            due_date=due,
            reasoning="why" if index else "",
        )
    other_buyer = make_buyer(agency, name="", company_name="")
    baker.make(Action, meeting=first, seller=seller, buyer=other_buyer, title="Another buyer's")

    response = client_for(seller).get("/api/actions/")
    assert response.status_code == 200
    actions = {a.pk: a for a in Action.objects.select_related("meeting__buyer", "buyer")}
    with timezone.override(agency.tzinfo):
        rows = [expected_row(actions[pk]) for pk in _ids(response.json()["actions"])]
    expected = {
        "filtered_by_status": None,
        "filtered_by_meeting": None,
        "actions": rows,
        "total_count": 5,
    }
    # The same JSON, value for value and type for type (1 is not 1.0); stored JSON is passed
    # through as the database writes it, so only its spacing may differ.
    assert repr(json.loads(response.content)) == repr(
        json.loads(FastJSONRenderer().render(expected))
    )
    paged = client_for(seller).get("/api/actions/", {"page": 1, "limit": 2}).json()
    assert paged["actions"] == response.json()["actions"][:2]


def _ids(rows):
    return [uuid.UUID(row["id"]) for row in rows]
