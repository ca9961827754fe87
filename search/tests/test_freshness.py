"""How the index stays fresh has one answer: ``chirpworks.signals.entities_changed``.

Bulk writers in the domain apps send it; the search app's save/delete receivers translate a plain
``save()`` into it; the one search receiver of it re-indexes on commit.
"""

import uuid

import pytest

from actions.models import ActionStatus
from actions.services import action_bulk_update_status
from agencies.merge_services import buyers_merge
from chirpworks.signals import entities_changed
from meetings.tests.factories import ist, make_action, make_buyer, make_meeting
from search import embeddings
from search.embeddings import WordLlamaEmbeddings, get_embedding_provider
from search.index import search_index_rebuild_agency
from search.models import SearchDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes():
    """Every ``entities_changed`` sent during the test, as ``(kind, ids)``."""
    sent: list[tuple[str, list[str]]] = []

    def record(sender, *, kind, ids, **kwargs):
        sent.append((kind, list(ids)))

    entities_changed.connect(record, dispatch_uid="test-freshness")
    yield sent
    entities_changed.disconnect(dispatch_uid="test-freshness")


def _text(kind: str, entity_id) -> str:
    return " ".join(
        SearchDocument.objects.filter(entity_kind=kind, entity_id=entity_id).values_list(
            "text", flat=True
        )
    )


def test_a_bulk_update_through_a_service_reaches_the_index(
    seller, changes, django_capture_on_commit_callbacks
):
    action = make_action(make_meeting(seller, start=ist(2026, 11, 17, 10)))
    search_index_rebuild_agency(agency_id=seller.agency_id)
    assert "Status: pending." in _text("action", action.pk)

    with django_capture_on_commit_callbacks(execute=True):
        updated = action_bulk_update_status(
            actor=seller, items=[{"id": action.pk, "status": ActionStatus.COMPLETED}]
        )

    assert updated == 1
    assert ("action", [str(action.pk)]) in changes  # a queryset update(): no post_save
    assert "Status: completed." in _text("action", action.pk)


def test_a_plain_save_reaches_the_index_through_the_same_signal(
    agency, changes, django_capture_on_commit_callbacks
):
    buyer = make_buyer(agency, name="Ravi Kumar")
    search_index_rebuild_agency(agency_id=agency.pk)
    changes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        buyer.name = "Zara Iyer"
        buyer.save()

    assert changes == [("buyer", [str(buyer.pk)])]
    assert "Zara Iyer" in _text("buyer", buyer.pk)
    assert "Ravi Kumar" not in _text("buyer", buyer.pk)


def test_other_kinds_on_the_signal_are_not_indexed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        entities_changed.send(sender=None, kind="tracker", ids=[str(uuid.uuid4())])
    assert not [c for c in callbacks if "search_index_enqueue" in c.__qualname__]


def test_a_merge_moves_the_absorbed_buyers_documents_and_counts_them(
    seller, django_capture_on_commit_callbacks
):
    keep = make_buyer(seller.agency, name="Kept Buyer")
    absorbed = make_buyer(seller.agency, name="Absorbed Buyer")
    make_meeting(seller, buyer=absorbed, start=ist(2026, 11, 16, 10))
    search_index_rebuild_agency(agency_id=seller.agency_id)
    theirs = SearchDocument.objects.filter(buyer_id=absorbed.pk).count()
    assert theirs

    with django_capture_on_commit_callbacks(execute=True):
        record = buyers_merge(actor=None, keep=keep, merge=[absorbed])

    assert record.moved["search_documents"] == theirs
    assert not SearchDocument.objects.filter(buyer_id=absorbed.pk).exists()


def test_a_provider_path_under_the_old_package_still_loads(settings):
    settings.SEARCH_EMBEDDINGS_PROVIDER = "meetings.search.embeddings.WordLlamaEmbeddings"
    embeddings._provider.cache_clear()
    try:
        assert isinstance(get_embedding_provider(), WordLlamaEmbeddings)
    finally:
        embeddings._provider.cache_clear()
