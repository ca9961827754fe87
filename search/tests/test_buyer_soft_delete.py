"""A deleted buyer is gone from search and analytics answers, and comes back with a restore (the
rest of the soft-delete story is in ``agencies/tests/test_book_soft_delete.py``)."""

import pytest

from agencies.tests.test_book_soft_delete import _delete
from meetings.models import Meeting
from search.index import search_index_rebuild_agency
from search.models import SearchDocument

pytestmark = pytest.mark.django_db


def test_deleted_buyer_vanishes_from_search_and_answers(
    book, client_for, django_capture_on_commit_callbacks
):
    Meeting.objects.filter(pk=book.meeting.pk).update(title="Zebra crossing plot for Bina")
    search_index_rebuild_agency(agency_id=book.agency.pk)
    client = client_for(book.seller)
    body = {"query": "Bina Shah zebra crossing plot", "k": 50}
    hits = client.post("/api/search/", body, format="json").json()["results"]
    assert any(hit["buyer_id"] == str(book.buyer.pk) for hit in hits)
    question = {"query": "how many calls did I make this month?"}
    counted = client.post("/api/search/answer", question, format="json").json()["answer"]

    _delete(client_for, book, django_capture_on_commit_callbacks)

    assert not SearchDocument.objects.filter(buyer_id=book.buyer.pk).exists()
    hits = client.post("/api/search/", body, format="json").json()["results"]
    assert not any(hit["buyer_id"] == str(book.buyer.pk) for hit in hits)
    answer = client.post("/api/search/answer", question, format="json").json()["answer"]
    assert answer != counted
    # A rebuild keeps them out too.
    search_index_rebuild_agency(agency_id=book.agency.pk)
    assert not SearchDocument.objects.filter(buyer_id=book.buyer.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(book.admin).post(f"/api/buyers/restore/{book.buyer.pk}")
    assert SearchDocument.objects.filter(buyer_id=book.buyer.pk).exists()
    assert client.post("/api/search/answer", question, format="json").json()["answer"] == counted
