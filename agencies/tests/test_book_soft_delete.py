"""A deleted buyer is gone from every list, search and analytics answer, and comes back with a
restore or a new call from its number; the retention command purges it for good."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from agencies.models import Buyer, BuyerNote, NoteKind
from agencies.services import buyer_find_or_create, buyers_find_or_create_bulk
from meetings.models import Meeting
from meetings.reconciliation.services import calls_reconcile
from meetings.tests.factories import ist, make_action, make_app_call, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

PROFILE = "/api/buyers/profile/{}"
MONTH = {"time_frame": "this_month"}


def _delete(client_for, book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(book.admin).delete(PROFILE.format(book.buyer.pk))
    assert response.status_code == 200
    book.buyer.refresh_from_db()


def test_deleted_buyer_is_absent_from_lists_and_counts(
    book, client_for, django_capture_on_commit_callbacks
):
    make_action(book.meeting, title="Send the brochure")
    make_app_call(book.seller, buyer_number=book.buyer.phone, start=ist(2026, 11, 12, 10))
    other = make_meeting(book.seller, start=ist(2026, 11, 11, 12))
    client = client_for(book.seller)
    before = client.get("/api/analytics/total_call_data", MONTH).json()
    assert len(client.get("/api/meetings/call_history", MONTH).json()) == 3
    assert client.get("/api/actions/").json()

    _delete(client_for, book, django_capture_on_commit_callbacks)

    ids = {row["id"] for row in client.get("/api/buyers/all").json()["buyers"]}
    assert ids == {str(other.buyer_id)}
    history = client.get("/api/meetings/call_history", MONTH).json()
    assert [row["id"] for row in history] == [str(other.pk)]  # its meeting and app call hidden
    assert client.get("/api/actions/").json()["total_count"] == 0
    after = client.get("/api/analytics/total_call_data", MONTH).json()
    assert before["total_data"]["total_calls"] - after["total_data"]["total_calls"] == 2
    leads = "unique_leads_engaged"
    assert before["total_data"][leads] - after["total_data"][leads] == 1
    team = client_for(book.manager).get("/api/user/team").json()
    mine = next(member for member in team["team"] if member["id"] == str(book.seller.pk))
    assert mine["pending_actions_count"] == 0
    search = client.get("/api/buyers/search", {"q": "Bina"}).json()
    assert search["results"] == [] and search["suggestions"] == [] and search["total_count"] == 0
    groups = client_for(book.admin).get("/api/buyers/duplicates").json()["groups"]
    assert all(str(book.buyer.pk) not in {b["id"] for b in g["buyers"]} for g in groups)


def test_restore_brings_everything_back(book, client_for, django_capture_on_commit_callbacks):
    client = client_for(book.seller)
    before = client.get("/api/meetings/call_history", MONTH).json()
    _delete(client_for, book, django_capture_on_commit_callbacks)
    assert client_for(book.admin).post(f"/api/buyers/restore/{book.buyer.pk}").status_code == 200
    assert client.get("/api/meetings/call_history", MONTH).json() == before
    assert client.get(PROFILE.format(book.buyer.pk)).status_code == 200


def test_a_new_call_from_the_number_restores_it_with_a_note(
    book, client_for, django_capture_on_commit_callbacks
):
    _delete(client_for, book, django_capture_on_commit_callbacks)
    # The app syncs an answered call from the number; reconciliation makes it a meeting.
    call = make_app_call(
        book.seller, buyer_number=book.buyer.phone, start=timezone.now() - timedelta(hours=2)
    )
    calls_reconcile(force_ids=[call.pk])
    call.refresh_from_db()
    assert call.meeting.buyer_id == book.buyer.pk
    book.buyer.refresh_from_db()
    assert book.buyer.deleted_at is None
    note = BuyerNote.objects.get(buyer=book.buyer)
    assert note.kind == NoteKind.SYSTEM and "new call" in note.text
    rows = client_for(book.admin).get(f"/api/buyers/history/{book.buyer.pk}").json()["history"]
    assert [row["action"] for row in rows[:3]] == ["note", "restore", "delete"]
    assert rows[1]["actor"]["kind"] == "system"


def test_find_or_create_restores_too(book, client_for, django_capture_on_commit_callbacks):
    _delete(client_for, book, django_capture_on_commit_callbacks)
    assert buyer_find_or_create(phone=book.buyer.phone, agency=book.agency).deleted_at is None
    _delete(client_for, book, django_capture_on_commit_callbacks)
    found = buyers_find_or_create_bulk(agency_phones={(book.agency.pk, book.buyer.phone)})
    assert found[(book.agency.pk, book.buyer.phone)].deleted_at is None
    book.buyer.refresh_from_db()
    assert book.buyer.deleted_at is None
    assert BuyerNote.objects.filter(buyer=book.buyer, kind=NoteKind.SYSTEM).count() == 2


def test_creating_a_deleted_buyers_number_is_still_409(book, client_for, clock):
    client_for(book.admin).delete(PROFILE.format(book.buyer.pk))
    response = client_for(book.seller).post(
        "/api/buyers/create", {"name": "Again", "phone": book.buyer.phone}, format="json"
    )
    assert response.status_code == 409


def test_purge_command(book, client_for, clock):
    kept = make_buyer(book.agency, name="Recently deleted")
    client_for(book.admin).delete(PROFILE.format(book.buyer.pk))
    clock.move_to(timezone.now() + timedelta(days=100))
    client_for(book.admin).delete(PROFILE.format(kept.pk))

    out = StringIO()
    call_command("purge_deleted_buyers", "--dry-run", stdout=out)
    assert "Would purge 1 buyers" in out.getvalue()
    assert Buyer.objects.filter(pk=book.buyer.pk).exists()

    out = StringIO()
    call_command("purge_deleted_buyers", stdout=out)
    assert "Purged 1 buyers" in out.getvalue()
    assert not Buyer.objects.filter(pk=book.buyer.pk).exists()
    assert not Meeting.objects.filter(pk=book.meeting.pk).exists()
    assert Buyer.objects.filter(pk=kept.pk).exists()  # deleted 0 days ago
    assert Buyer.history.filter(id=book.buyer.pk, history_type="-").exists()  # the trail stays

    out = StringIO()
    call_command("purge_deleted_buyers", "--retention-days", "0", stdout=out)
    assert not Buyer.objects.filter(pk=kept.pk).exists()
