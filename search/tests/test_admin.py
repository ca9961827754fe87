"""The ops console's pages for the search index and its query log: read-only, and change lists
that cost the same number of queries for 2,000 rows as for a few."""

import uuid

import pytest
from django.urls import reverse
from model_bakery import baker

from search.models import SearchDocument, SearchQueryLog

pytestmark = pytest.mark.django_db

ROWS = 2_000


def test_search_documents_and_query_log_are_browsable_read_only(
    staff_client, agency, seller, django_assert_max_num_queries
):
    SearchDocument.objects.bulk_create(
        [
            SearchDocument(
                agency=agency,
                type="meeting.key_point",
                entity_kind="meeting",
                entity_id=uuid.uuid4(),
                text=f"Buyer asked about <i>discount</i> {n}",
                embedding=b"\x00" * 512,
                embedding_model="test",
            )
            for n in range(ROWS)
        ]
    )
    baker.make(SearchQueryLog, agency=agency, seller=seller, query="discount", _quantity=50)
    for model in ("searchdocument", "searchquerylog"):
        url = reverse(f"admin:search_{model}_changelist")
        with django_assert_max_num_queries(10):
            response = staff_client.get(url)
        assert response.status_code == 200
    document = SearchDocument.objects.first()
    page = staff_client.get(reverse("admin:search_searchdocument_change", args=[document.pk]))
    assert page.status_code == 200
    assert "<i>discount</i>" not in page.content.decode()  # stored text is escaped
    assert staff_client.get(reverse("admin:search_searchdocument_add")).status_code == 403
