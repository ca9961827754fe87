"""The buyer list's order by the stored last contact equals the order by the latest meeting.

``reference_order`` is the previous query: the later of each buyer's latest meeting and its
stored contact, computed per buyer. Meetings move the stored contact forward as they are
created (``meetings.contacts``), so ordering by the stored column gives the same list.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import F

from agencies.models import Buyer
from agencies.services import buyers_touch_contacts
from insights.buyer_selectors import buyer_list, buyers_of_agency, with_last_contact
from meetings.models import Meeting
from meetings.services import CallMeetingSpec, meetings_create_for_calls
from meetings.tests.factories import ist, make_buyer, make_meeting

pytestmark = pytest.mark.django_db


def reference_order(agency) -> list:
    buyers = with_last_contact(buyers_of_agency(agency_id=agency.pk))
    ordered = buyers.order_by(F("last_contact_at").desc(nulls_last=True), "name", "pk")
    return list(ordered.values_list("pk", flat=True))


def listed(actor) -> list:
    return list(buyer_list(actor=actor).values_list("pk", flat=True))


@pytest.fixture
def book(agency, seller, manager):
    """Buyers contacted by meetings (saved and bulk-created), by calls only, by both, never."""
    t0 = ist(2025, 3, 10, 10)
    names = ["Asha", "Asha", "Bina", "", "Chetan", "Dev", "Esha", "Farah", "Gita", "Hari"]
    buyers = [make_buyer(agency, name=name) for name in names]
    make_meeting(seller, buyer=buyers[0], start=t0)
    make_meeting(manager, buyer=buyers[0], start=t0 - timedelta(days=3))
    make_meeting(seller, buyer=buyers[1], start=t0)  # same time and name as buyers[0]
    make_meeting(manager, buyer=buyers[2], start=t0 + timedelta(hours=1))
    # A call-only contact later than the buyer's meeting, and one earlier than it.
    make_meeting(seller, buyer=buyers[3], start=t0 - timedelta(days=1))
    buyers_touch_contacts(contacts={buyers[3].pk: (t0 + timedelta(days=2), manager.pk)})
    buyers_touch_contacts(contacts={buyers[4].pk: (t0 - timedelta(days=5), manager.pk)})
    make_meeting(seller, buyer=buyers[4], start=t0 - timedelta(days=4))
    buyers_touch_contacts(contacts={buyers[5].pk: (t0 - timedelta(days=6), seller.pk)})
    meetings_create_for_calls(
        specs=[
            CallMeetingSpec(seller, buyers[6], "outgoing", t0 + timedelta(days=1), None),
            CallMeetingSpec(manager, buyers[6], "incoming", t0 + timedelta(days=3), None),
            CallMeetingSpec(seller, buyers[7], "outgoing", t0 - timedelta(days=9), None),
        ]
    )
    return buyers  # buyers[8] and buyers[9]: never contacted


# The admin lists them: the order is the subject here, and only an admin sees every buyer.
def test_same_order_as_the_latest_meeting(book, agency, admin):
    assert listed(admin) == reference_order(agency)
    assert listed(admin)[-2:] == [book[8].pk, book[9].pk]  # never contacted: last, by name


def test_still_the_same_after_meetings_move_or_go(book, agency, admin):
    moved = Meeting.objects.filter(buyer=book[7]).get()
    moved.start_time += timedelta(days=30)
    moved.save(update_fields=["start_time", "updated_at"])
    Meeting.objects.filter(buyer=book[2]).delete()
    renamed = Meeting.objects.filter(buyer=book[0]).first()
    renamed.title = "Renamed"
    renamed.save(update_fields=["title"])
    assert listed(admin) == reference_order(agency)
    assert listed(admin)[0] == book[7].pk


def test_api_pages_follow_the_order(book, agency, admin, client_for):
    client = client_for(admin)
    ids = []
    for page in (1, 2, 3, 4):
        body = client.get("/api/buyers/all", {"page": page, "limit": 3}).json()
        ids += [row["id"] for row in body["buyers"]]
    assert ids == [str(pk) for pk in reference_order(agency)]


def test_migration_backfills_existing_buyers(agency, seller, manager, admin):
    t0 = ist(2025, 3, 10, 10)
    buyers = [make_buyer(agency, name=f"B{n}") for n in range(4)]
    for index, buyer in enumerate(buyers[:3]):
        make_meeting(seller, buyer=buyer, start=t0 + timedelta(hours=index))
    # As before this change: meetings that never touched their buyer, one older stored contact.
    Buyer.objects.update(last_contacted_at=None, last_contacted_by=None)
    Buyer.objects.filter(pk=buyers[1].pk).update(last_contacted_at=t0 - timedelta(days=1))
    Buyer.objects.filter(pk=buyers[3].pk).update(
        last_contacted_at=t0 + timedelta(days=1), last_contacted_by=manager
    )
    migration = importlib.import_module("agencies.migrations.0006_buyer_last_contact_order")
    migration.backfill_last_contact(apps, None)
    assert listed(admin) == reference_order(agency) == [b.pk for b in reversed(buyers)]
    buyers[2].refresh_from_db()
    assert (buyers[2].last_contacted_at, buyers[2].last_contacted_by) == (
        t0 + timedelta(hours=2),
        seller,
    )
    buyers[3].refresh_from_db()
    assert buyers[3].last_contacted_by == manager  # a later call-only contact stays


def test_a_scoped_list_keeps_the_order(book, agency, seller, manager):
    # The seller met or last contacted all but buyers[2] (the manager's alone) and the two never
    # contacted; their manager sees the seller's buyers and their own.
    seller_sees = {book[index].pk for index in (0, 1, 3, 4, 5, 6, 7)}
    manager_sees = seller_sees | {book[2].pk}
    reference = reference_order(agency)
    assert listed(seller) == [pk for pk in reference if pk in seller_sees]
    assert listed(manager) == [pk for pk in reference if pk in manager_sees]
