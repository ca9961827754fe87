"""A backlog reconciled by several threads at once (``RECONCILE_THREADS``, PostgreSQL only):
the same meetings, buyers and links as one chunk after another, and a chunk that is rolled back
(a deadlock) runs again."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection

from agencies.models import Buyer
from calls.models import ExotelCall, MobileAppCall
from meetings.models import Job, Meeting
from meetings.reconciliation import services
from meetings.reconciliation.services import calls_reconcile

pytestmark = [
    pytest.mark.django_db(transaction=True),  # each thread has its own connection
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite reconciles one chunk at a time"
    ),
]

T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)
BUYERS = [f"+91987650000{n}" for n in range(4)]


@pytest.fixture
def backlog(agency, make_seller, make_app_call, make_exotel_call, settings, monkeypatch):
    """Six sellers in three chunks, all calling the same four buyers (none known yet)."""
    settings.RECONCILE_THREADS = 2
    monkeypatch.setattr(services, "CALLS_PER_TRANSACTION", 16)  # two sellers' 16 calls a chunk
    sellers = [make_seller(agency) for _ in range(6)]
    for n, seller in enumerate(sellers):
        for k, buyer in enumerate(BUYERS):
            start = T0 + timedelta(minutes=10 * k + n)
            make_app_call(seller, start, 90, buyer_number=buyer)
            make_exotel_call(seller, start + timedelta(seconds=2), 88, buyer_number=buyer)
    return sellers


def check(result):
    assert result.matched == 24 and result.sellers == 6
    assert Meeting.objects.count() == Job.objects.count() == 24
    assert Buyer.objects.count() == 4  # each number once, whichever chunk made it
    assert not MobileAppCall.objects.filter(meeting__isnull=True).exists()
    assert not ExotelCall.objects.filter(meeting__isnull=True).exists()
    for buyer in Buyer.objects.all():
        latest = buyer.meetings.order_by("-start_time").first()
        assert (buyer.last_contacted_at, buyer.last_contacted_by_id) == (
            latest.start_time,
            latest.seller_id,
        )


def test_threads_make_what_one_chunk_after_another_makes(backlog, enqueued_jobs):
    result = calls_reconcile(now=T0 + timedelta(days=1))
    check(result)
    assert sorted(enqueued_jobs) == sorted(
        str(pk) for pk in Job.objects.values_list("pk", flat=True)
    )
    again = calls_reconcile(now=T0 + timedelta(days=1))
    assert again.meetings == 0 and Meeting.objects.count() == 24


def test_a_chunk_rolled_back_by_a_deadlock_runs_again(backlog, enqueued_jobs, monkeypatch):
    real = services._reconcile_chunk
    failed = []

    def deadlocks_once(**kwargs):
        real(**kwargs)  # its writes are rolled back with the error
        if not failed:
            failed.append(kwargs["seller_ids"])
            raise OperationalError("deadlock detected")

    monkeypatch.setattr(services, "_reconcile_chunk", deadlocks_once)
    result = calls_reconcile(now=T0 + timedelta(days=1))
    assert failed
    check(result)
