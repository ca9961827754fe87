"""A call sync for the absorbed number while the merge runs ends on the kept buyer, whichever
commits first (PostgreSQL, real threads and transactions)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from agencies import services as agency_services
from agencies.merge_services import buyers_merge
from agencies.models import Buyer
from meetings.models import Meeting
from meetings.reconciliation.services import calls_reconcile
from meetings.tests.factories import make_app_call, make_buyer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions: SQLite serialises every writer")


def _run(*targets):
    errors: list = []

    def wrap(target):
        def run():
            try:
                target()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def _pair(book):
    kept = book.buyer
    absorbed = make_buyer(book.agency, name="Twin", last_contacted_by=book.seller)
    call = make_app_call(
        book.seller, buyer_number=absorbed.phone, start=timezone.now() - timedelta(hours=1)
    )
    return kept, absorbed, call


def _sync(book, call):
    calls_reconcile(seller_ids=[book.seller.pk], force_ids=[call.pk])


def test_call_resolved_before_the_merge_commits_lands_on_the_kept_buyer(book, monkeypatch):
    """The sync reads the absorbed buyer, the merge commits, then the sync writes its meeting."""
    kept, absorbed, call = _pair(book)
    routed, merged = threading.Event(), threading.Event()
    route = agency_services.buyers_route

    def slow_route(**kwargs):
        found = route(**kwargs)
        if threading.current_thread().name != "merge" and not routed.is_set():
            routed.set()
            merged.wait(timeout=30)  # the merge runs and commits now
        return found

    monkeypatch.setattr(agency_services, "buyers_route", slow_route)

    def merge():
        routed.wait(timeout=30)
        threading.current_thread().name = "merge"
        buyers_merge(actor=book.admin, keep=kept, merge=[absorbed])
        merged.set()

    _run(lambda: _sync(book, call), merge)
    call.refresh_from_db()
    meeting = Meeting.objects.get(pk=call.meeting_id)
    assert meeting.buyer_id == kept.pk
    assert Buyer.objects.get(pk=absorbed.pk).merged_into_id == kept.pk
    assert not Meeting.objects.filter(buyer_id=absorbed.pk).exists()


def test_call_committed_while_the_merge_waits_is_moved_by_it(book, monkeypatch):
    """The sync holds the absorbed buyer's lock; the merge waits for it, then moves its meeting."""
    kept, absorbed, call = _pair(book)
    locked, merging = threading.Event(), threading.Event()
    lock = agency_services.buyers_lock_routed

    def slow_lock(**kwargs):
        found = lock(**kwargs)
        if found and not locked.is_set():
            locked.set()
            merging.wait(timeout=30)
            time.sleep(0.5)  # the merge is blocked on our row lock meanwhile
        return found

    monkeypatch.setattr(agency_services, "buyers_lock_routed", slow_lock)

    def merge():
        locked.wait(timeout=30)
        merging.set()
        buyers_merge(actor=book.admin, keep=kept, merge=[absorbed])

    _run(lambda: _sync(book, call), merge)
    call.refresh_from_db()
    assert Meeting.objects.get(pk=call.meeting_id).buyer_id == kept.pk
    assert not Meeting.objects.filter(buyer_id=absorbed.pk).exists()


def test_many_syncs_and_a_merge_at_once(book):
    kept = book.buyer
    absorbed = make_buyer(book.agency, name="Twin", last_contacted_by=book.seller)
    start = timezone.now() - timedelta(hours=3)
    calls = [
        make_app_call(book.seller, buyer_number=absorbed.phone, start=start + timedelta(minutes=i))
        for i in range(6)
    ]
    barrier = threading.Barrier(len(calls) + 1)

    def sync(call):
        def run():
            barrier.wait()
            calls_reconcile(seller_ids=[book.seller.pk], force_ids=[call.pk])

        return run

    def merge():
        barrier.wait()
        buyers_merge(actor=book.admin, keep=kept, merge=[absorbed])

    _run(*(sync(c) for c in calls), merge)
    assert not Meeting.objects.filter(buyer_id=absorbed.pk).exists()
    linked = [c.meeting_id for c in type(calls[0]).objects.filter(pk__in=[c.pk for c in calls])]
    assert all(linked)
    assert set(Meeting.objects.filter(pk__in=linked).values_list("buyer_id", flat=True)) == {
        kept.pk
    }
