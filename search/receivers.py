"""How the index stays fresh: one receiver of ``chirpworks.signals.entities_changed``.

Writers in the domain apps that bypass ``post_save`` (bulk ``update()``, ``bulk_create``) send
``entities_changed`` themselves. The save/delete receivers here translate every ``save()`` and
``delete()`` (cascades included) of an indexed model into the same signal, so insights and the
index hear of exactly the same changes. The one ``entities_changed`` receiver re-indexes the
entities on commit.
"""

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from actions.models import Action
from agencies.models import Buyer
from calls.models import MobileAppCall
from chirpworks.signals import (
    KIND_ACTION,
    KIND_BUYER,
    KIND_MEETING,
    KIND_MOBILE_CALL,
    KIND_PRODUCT,
    KIND_SELLER,
    buyers_merged,
    entities_changed,
    entities_changed_send,
)
from meetings.models import Meeting
from products.models import Product
from search.documents import ENTITY_KINDS
from search.models import SearchDocument
from sellers.models import Seller

SOURCES = {
    Meeting: KIND_MEETING,
    Action: KIND_ACTION,
    Buyer: KIND_BUYER,
    Product: KIND_PRODUCT,
    Seller: KIND_SELLER,
    MobileAppCall: KIND_MOBILE_CALL,
}


BATCH_SIZE = 200


def search_index_enqueue(*, kind: str, entity_ids: Iterable[uuid.UUID | str]) -> None:
    """Enqueue a re-index of these entities once the current transaction commits.

    One entity is one task (the common case: a save); a bulk write's entities go in batches.
    """
    from search.tasks import index_entities, index_entity

    ids = sorted({str(e) for e in entity_ids})
    if len(ids) == 1:
        transaction.on_commit(lambda: index_entity.delay(kind, ids[0]), robust=True)
        return
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        transaction.on_commit(lambda batch=batch: index_entities.delay(kind, batch), robust=True)


def _on_entities_changed(sender, *, kind: str, ids: list[str], **kwargs) -> None:
    if kind in ENTITY_KINDS:  # other kinds (trackers) are not indexed
        search_index_enqueue(kind=kind, entity_ids=ids)


# Fields that change on every login or call but never change what is indexed.
_IGNORED_UPDATE_FIELDS = {"last_login", "session_version", "password", "updated_at"}


def _on_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return  # loaddata: the rebuild command indexes fixtures
    if update_fields and set(update_fields) <= _IGNORED_UPDATE_FIELDS:
        return
    entities_changed_send(sender=sender, kind=SOURCES[sender], ids=[instance.pk])


def _on_delete(sender, instance, **kwargs) -> None:
    entities_changed_send(sender=sender, kind=SOURCES[sender], ids=[instance.pk])


def _on_buyers_merged(sender, *, agency_id, kept_id, merged_ids, **kwargs) -> dict[str, int]:
    """The merged buyers' documents show the kept buyer at once, before their re-index runs."""
    documents = SearchDocument.objects.filter(agency_id=agency_id, buyer_id__in=merged_ids)
    return {"search_documents": documents.update(buyer_id=kept_id)}


def connect() -> None:
    entities_changed.connect(_on_entities_changed, dispatch_uid="search-entities-changed")
    buyers_merged.connect(_on_buyers_merged, dispatch_uid="search-buyers-merged")
    for model in SOURCES:
        post_save.connect(_on_save, sender=model, dispatch_uid=f"search-save-{model.__name__}")
        post_delete.connect(
            _on_delete, sender=model, dispatch_uid=f"search-delete-{model.__name__}"
        )
