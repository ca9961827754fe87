"""Writes on the buyer book: soft delete, restore (by a person or by a new call), purge.

A deleted buyer is hidden everywhere and kept whole, so a restore brings back every call,
action and note; the purge deletes for good what stayed deleted past the retention period.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from agencies.book_services import (
    buyer_note_create,
    buyer_phones,
    buyer_save_audited,
    buyers_visibility_announce,
)
from agencies.buyer_search_cache import buyer_search_cache_invalidate
from agencies.models import Buyer, NoteKind
from chirpworks.exceptions import ConflictError
from sellers.models import Seller

logger = logging.getLogger(__name__)


def buyer_soft_delete(*, actor: Seller, buyer: Buyer) -> Buyer:
    """Hide the buyer everywhere (lists, search, analytics); everything is kept for a restore."""
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
        if buyer.deleted_at is not None:
            return buyer
        buyer.deleted_at = timezone.now()
        buyer.deleted_by = actor
        buyer_save_audited(
            buyer=buyer, action="delete", actor=actor, fields=["deleted_at", "deleted_by"]
        )
        buyers_visibility_announce(buyer_ids=[buyer.pk], phones=buyer_phones(buyer=buyer))
    buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer


def buyer_restore(
    *, actor: Seller | None, buyer: Buyer, note: str = "", lock: bool = True
) -> Buyer:
    """Bring a deleted buyer back, with all its calls, actions and notes; a merged-away buyer
    cannot be (its calls now belong to the buyer it was merged into)."""
    with transaction.atomic():
        if lock:
            buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
        if buyer.merged_into_id is not None:
            raise ConflictError(
                "This buyer was merged into another and cannot be restored", code="buyer_merged"
            )
        if buyer.deleted_at is None:
            return buyer
        buyer.deleted_at = None
        buyer.deleted_by = None
        buyer_save_audited(
            buyer=buyer,
            action="restore",
            actor=actor,
            detail="new call" if note else "",
            fields=["deleted_at", "deleted_by"],
        )
        if note:
            buyer_note_create(buyer=buyer, text=note, author=None, kind=NoteKind.SYSTEM)
        buyers_visibility_announce(buyer_ids=[buyer.pk], phones=buyer_phones(buyer=buyer))
    buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer


def buyers_restore_by_call(*, buyers: list[Buyer]) -> None:
    """Deleted buyers a new call came from are back, each with a note saying so."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    for buyer in buyers:
        if buyer.deleted_at is not None and buyer.merged_into_id is None:
            buyer_restore(
                actor=None, buyer=buyer, note=f"Restored: a new call from this number on {when}."
            )
            logger.info("Buyer %s restored by a new call", buyer.pk)


@dataclass(frozen=True)
class PurgeResult:
    buyers: int
    meetings: int


def buyers_purge_deleted(*, older_than: datetime, dry_run: bool = False) -> PurgeResult:
    """Delete for good the buyers deleted (or merged away) before ``older_than``, with their
    calls, actions and notes; their audit rows stay."""
    buyers = Buyer.objects.filter(deleted_at__lt=older_than)
    ids = list(buyers.values_list("pk", flat=True))
    meetings = (
        Buyer.objects.filter(pk__in=ids).aggregate(meetings=Count("meetings"))["meetings"]
        if ids
        else 0
    )
    if dry_run or not ids:
        return PurgeResult(len(ids), meetings)
    for start in range(0, len(ids), 200):
        batch = ids[start : start + 200]
        with transaction.atomic():
            for buyer in Buyer.objects.filter(pk__in=batch, deleted_at__lt=older_than):
                buyer._history_user = None
                buyer._change_reason = "purge|system|retention"
                buyer.delete()
    return PurgeResult(len(ids), meetings)
