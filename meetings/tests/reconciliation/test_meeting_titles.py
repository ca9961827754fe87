"""A meeting made from a call names the buyer when the agency knows them (issue 14)."""

from datetime import UTC, datetime, timedelta

import pytest
from model_bakery import baker

from agencies.models import Buyer
from calls.tests.conftest import BUYER
from meetings.models import Meeting
from meetings.reconciliation.services import calls_reconcile

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 17, 5, 0, tzinfo=UTC)


def test_reconciled_meeting_is_titled_with_the_known_buyer_name(
    seller, make_app_call, make_exotel_call, enqueued_jobs, django_capture_on_commit_callbacks
):
    baker.make(Buyer, agency=seller.agency, phone=BUYER, name="Arjun Mehta")
    make_app_call(seller, T0, 90)
    make_exotel_call(seller, T0 + timedelta(seconds=3), 84)
    with django_capture_on_commit_callbacks(execute=True):
        calls_reconcile(now=T0 + timedelta(hours=1))
    assert Meeting.objects.get().title == f"Meeting between Arjun Mehta and {seller.name}"


def test_unknown_buyer_is_titled_by_number(
    seller, make_app_call, enqueued_jobs, django_capture_on_commit_callbacks
):
    make_app_call(seller, T0, 90)
    with django_capture_on_commit_callbacks(execute=True):
        calls_reconcile(now=T0 + timedelta(hours=1))
    assert Meeting.objects.get().title == f"Meeting between +91 9812345678 and {seller.name}"


def test_unmatched_answered_app_call_in_call_history_names_the_buyer(
    client_for, seller, make_app_call, clock
):
    baker.make(Buyer, agency=seller.agency, phone=BUYER, name="Arjun Mehta")
    start = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)  # 09:30 IST, earlier today
    make_app_call(seller, start, 65)
    rows = client_for(seller).get("/api/meetings/call_history").json()
    assert [row["title"] for row in rows] == [f"Meeting between Arjun Mehta and {seller.name}"]
