"""The concurrency set of issue 17, over HTTP on PostgreSQL (SQLite serialises every writer):
20 concurrent duplicate CallSids make one row, 50 concurrent creations of one buyer make one
buyer, 20 concurrent refreshes of one refresh token have one winner. No request answers 5xx."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from agencies.models import Buyer
from calls.models import ExotelCall
from sellers.services import tokens_issue

pytestmark = pytest.mark.django_db(transaction=True)


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions: SQLite serialises every writer")


def concurrently(count: int, request) -> Counter:
    """Run ``request(index)`` in ``count`` threads released at once; the statuses answered."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            statuses.append(request(index).status_code)
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return Counter(statuses)


def test_20_concurrent_duplicate_callsids_make_one_row(agency, seller):
    require_postgresql()
    params = {
        "key": agency.exotel_webhook_secret,
        "CallSid": "sid-drill-dup",
        "CallFrom": "0" + seller.phone[3:],
        "CallTo": "08047112233",
        "DialWhomNumber": "09812345678",
        "CallStatus": "completed",
        "StartTime": "2025-03-01 10:00:00",
    }
    statuses = concurrently(
        20, lambda i: APIClient().get("/api/call_records/post_exotel_recording", params)
    )
    print(f"\n20 duplicate webhooks: {dict(statuses)}")
    assert statuses == Counter({200: 20})
    assert ExotelCall.objects.filter(call_sid="sid-drill-dup").count() == 1


def test_50_concurrent_creations_make_one_buyer(agency, seller, client_for):
    require_postgresql()
    header = client_for(seller)._credentials

    def create(index: int):
        client = APIClient()
        client.credentials(**header)
        return client.post(
            "/api/buyers/create", {"name": f"Zoya {index}", "phone": "+919877712345"}, format="json"
        )

    statuses = concurrently(50, create)
    print(f"\n50 concurrent creations of one buyer: {dict(statuses)}")
    assert statuses == Counter({201: 1, 409: 49})
    assert Buyer.objects.filter(phone="+919877712345").count() == 1


def test_20_concurrent_refreshes_have_one_winner(seller):
    require_postgresql()
    refresh = tokens_issue(seller=seller).refresh

    def send(index: int):
        return APIClient().post("/api/auth/refresh", {"refresh_token": refresh}, format="json")

    statuses = concurrently(20, send)
    print(f"\n20 concurrent refreshes of one token: {dict(statuses)}")
    assert statuses[200] == 1
    assert set(statuses) <= {200, 401, 429}  # the losers are refused (or throttled), never 5xx
