import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from agencies.models import Buyer
from agencies.services import buyer_find_or_create
from chirpworks.phones import InvalidPhoneNumber

T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)


@pytest.mark.django_db
class TestBuyerFindOrCreate:
    def test_parses_to_e164_and_reuses_the_row(self, agency):
        first = buyer_find_or_create(phone="098123 45678", agency=agency)
        again = buyer_find_or_create(phone="+91 98123-45678", agency=agency)
        assert first.pk == again.pk and first.phone == "+919812345678"
        assert Buyer.objects.count() == 1

    def test_one_number_is_one_buyer_per_agency(self, agency, other_agency):
        ours = buyer_find_or_create(phone="9812345678", agency=agency)
        theirs = buyer_find_or_create(phone="9812345678", agency=other_agency)
        assert ours.pk != theirs.pk and theirs.agency == other_agency

    def test_invalid_numbers_are_refused(self, agency):
        with pytest.raises(InvalidPhoneNumber):
            buyer_find_or_create(phone="12", agency=agency)
        assert Buyer.objects.count() == 0

    def test_last_contact_only_moves_forward(self, agency, seller, manager):
        buyer = buyer_find_or_create(
            phone="9812345678", agency=agency, contacted_at=T0, seller=seller
        )
        assert (buyer.last_contacted_at, buyer.last_contacted_by) == (T0, seller)
        earlier = T0 - timedelta(days=1)
        buyer = buyer_find_or_create(
            phone="9812345678", agency=agency, contacted_at=earlier, seller=manager
        )
        assert (buyer.last_contacted_at, buyer.last_contacted_by) == (T0, seller)
        later = T0 + timedelta(hours=1)
        buyer = buyer_find_or_create(
            phone="9812345678", agency=agency, contacted_at=later, seller=manager
        )
        assert (buyer.last_contacted_at, buyer.last_contacted_by) == (later, manager)


@pytest.mark.django_db(transaction=True)
def test_50_concurrent_calls_for_one_new_number_make_one_buyer(agency, seller):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions: SQLite serialises every writer")
    barrier = threading.Barrier(50)
    found: list = []
    errors: list = []

    def find(index: int) -> None:
        try:
            barrier.wait()
            buyer = buyer_find_or_create(
                phone="9812345678",
                agency=agency,
                contacted_at=T0 + timedelta(seconds=index),
                seller=seller,
            )
            found.append(buyer.pk)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=find, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(found) == 50 and len(set(found)) == 1
    buyer = Buyer.objects.get()
    assert buyer.last_contacted_at == T0 + timedelta(seconds=49)
