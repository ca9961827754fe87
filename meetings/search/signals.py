"""Re-index an entity on commit whenever it is saved or deleted.

The services that write these models live in other apps; a signal receiver catches every
``save()``/``delete()`` (including cascades) without touching them. Bulk writes
(``bulk_create``/``update``) send no signals: their callers use ``search_index_enqueue``, which
also sends ``chirpworks.signals.entities_changed`` so that other derived data (insights) hears of
every change the index hears of.
"""

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from actions.models import Action
from agencies.models import Buyer
from calls.models import MobileAppCall
from chirpworks.signals import entities_changed
from meetings.models import Meeting
from meetings.search.documents import (
    KIND_ACTION,
    KIND_BUYER,
    KIND_MEETING,
    KIND_MOBILE_CALL,
    KIND_PRODUCT,
    KIND_SELLER,
)
from products.models import Product
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

    One entity is one task (the common case: a signal); a bulk write's entities go in batches.
    """
    from meetings.search.tasks import index_entities, index_entity

    ids = sorted({str(e) for e in entity_ids})
    entities_changed.send(sender=search_index_enqueue, kind=kind, ids=ids)
    if len(ids) == 1:
        transaction.on_commit(lambda: index_entity.delay(kind, ids[0]), robust=True)
        return
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        transaction.on_commit(lambda batch=batch: index_entities.delay(kind, batch), robust=True)


# Fields that change on every login or call but never change what is indexed.
_IGNORED_UPDATE_FIELDS = {"last_login", "session_version", "password", "updated_at"}


def _on_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return  # loaddata: the rebuild command indexes fixtures
    if update_fields and set(update_fields) <= _IGNORED_UPDATE_FIELDS:
        return
    search_index_enqueue(kind=SOURCES[sender], entity_ids=[instance.pk])


def _on_delete(sender, instance, **kwargs) -> None:
    search_index_enqueue(kind=SOURCES[sender], entity_ids=[instance.pk])


def connect() -> None:
    for model in SOURCES:
        post_save.connect(_on_save, sender=model, dispatch_uid=f"search-save-{model.__name__}")
        post_delete.connect(
            _on_delete, sender=model, dispatch_uid=f"search-delete-{model.__name__}"
        )
