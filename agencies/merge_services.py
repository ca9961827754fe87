"""Writes on the buyer book: merging duplicate buyers, and routing calls around a merge.

A merge and a call resolved to one of its buyers take the buyers' row locks in one order (id
order), so neither deadlocks and a call never lands on a buyer merged away meanwhile.
"""

from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from agencies.book_services import (
    EDITABLE_FIELDS,
    LIFECYCLE_RANK,
    buyer_lifecycle_transition,
    buyer_save_audited,
    buyer_tags_set,
    buyers_visibility_announce,
)
from agencies.buyer_search_cache import buyer_search_cache_invalidate
from agencies.models import (
    Buyer,
    BuyerLifecycleChange,
    BuyerMerge,
    BuyerNote,
    BuyerPhone,
    BuyerTag,
    LifecycleCause,
)
from agencies.selectors import buyers_route
from chirpworks.exceptions import ApplicationError, ConflictError
from chirpworks.signals import buyers_merged_send
from sellers.models import Seller

MAX_MERGE = 20


def buyers_lock_routed(*, buyers: dict[tuple, Buyer]) -> dict[tuple, Buyer]:
    """Lock the routed buyers (in id order) for the caller's transaction, and route again any
    that a merge absorbed meanwhile: a call resolved while a merge of its number runs ends on
    the kept buyer. No-op outside PostgreSQL (SQLite has one writer at a time)."""
    if connection.vendor != "postgresql" or not buyers or not connection.in_atomic_block:
        return buyers
    for _ in range(3):
        ids = sorted({b.pk for b in buyers.values()})
        locked = {
            b.pk: b
            for b in Buyer.objects.select_for_update(no_key=True).filter(pk__any=ids).order_by("pk")
        }
        moved = {key for key, b in buyers.items() if locked[b.pk].merged_into_id}
        buyers = {key: locked[b.pk] for key, b in buyers.items()}
        if not moved:
            return buyers
        rerouted = buyers_route(
            agency_ids={key[0] for key in moved}, phones={key[1] for key in moved}
        )
        buyers.update({key: rerouted[key] for key in moved if key in rerouted})
    return buyers


def _snapshot(buyer: Buyer) -> dict[str, Any]:
    return {
        "id": str(buyer.pk),
        "phone": buyer.phone,
        "name": buyer.name,
        "email": buyer.email,
        "company_name": buyer.company_name,
        "lifecycle": buyer.lifecycle,
        "tag_names": buyer.tag_names,
        "profile": buyer.profile,
        "created_by": str(buyer.created_by_id) if buyer.created_by_id else None,
        "last_contacted_at": buyer.last_contacted_at.isoformat()
        if buyer.last_contacted_at
        else None,
    }


def buyers_merge(*, actor: Seller | None, keep: Buyer, merge: list[Buyer]) -> BuyerMerge:
    """Absorb ``merge`` into ``keep`` in one transaction (the caller checked who may).

    Meetings, actions, notes, lifecycle history, tags, alternate numbers and search documents
    move to the kept buyer; app calls follow their numbers, which become the kept buyer's
    alternates. Blank fields of the kept buyer are filled from the absorbed ones. Each absorbed
    buyer stays as a deleted row pointing at the kept one (``merged_into``), so its number, its
    audit rows and a concurrent call resolved to it all lead to the kept buyer.
    """
    merge_ids = sorted({b.pk for b in merge} - {keep.pk})
    if not merge_ids:
        raise ApplicationError("Nothing to merge", code="nothing_to_merge")
    with transaction.atomic():
        kept, absorbed = _merge_lock(keep=keep, merge_ids=merge_ids)
        moved = _merge_rows_move(kept=kept, absorbed=absorbed, merge_ids=merge_ids)
        _merge_fields_fill(kept=kept, absorbed=absorbed, actor=actor)
        record = BuyerMerge.objects.create(
            agency_id=kept.agency_id,
            kept=kept,
            merged_ids=[str(pk) for pk in merge_ids],
            actor=actor,
            snapshot=[_snapshot(b) for b in absorbed],
            moved=moved,
        )
        now = timezone.now()
        for buyer in absorbed:
            buyer.merged_into = kept
            buyer.deleted_at = now
            buyer.deleted_by = actor
            buyer.tags.clear()
            buyer.tag_names = []
            buyer_save_audited(
                buyer=buyer,
                action="merged",
                actor=actor,
                detail=f"into {kept.pk}",
                fields=["merged_into", "deleted_at", "deleted_by", "tag_names"],
            )
        buyer_save_audited(buyer=kept, action="merge", actor=actor, detail=f"merge {record.pk}")
        buyers_visibility_announce(
            buyer_ids=[kept.pk, *merge_ids], phones=[b.phone for b in absorbed]
        )
    buyer_search_cache_invalidate(agency_id=kept.agency_id)
    return record


def _merge_lock(*, keep: Buyer, merge_ids: list) -> tuple[Buyer, list[Buyer]]:
    """The kept and the absorbed buyers, locked and checked; 409 when one changed meanwhile."""
    # One lock order for every merge and every call sync (id order): no deadlock.
    locked = {
        b.pk: b
        for b in Buyer.objects.select_for_update()
        .filter(pk__in=[keep.pk, *merge_ids])
        .order_by("pk")
    }
    kept = locked.get(keep.pk)
    absorbed = [locked[pk] for pk in merge_ids if pk in locked]
    if kept is None or len(absorbed) != len(merge_ids):
        raise ConflictError("A buyer changed during the merge; try again", code="merge_stale")
    if any(b.deleted_at is not None for b in [kept, *absorbed]):
        raise ConflictError("Deleted buyers cannot be merged", code="buyer_deleted")
    if any(b.agency_id != kept.agency_id for b in absorbed):
        raise ApplicationError("Buyers of different agencies", code="agency_mismatch")
    return kept, absorbed


def _merge_rows_move(*, kept: Buyer, absorbed: list[Buyer], merge_ids: list) -> dict[str, int]:
    """Move the absorbed buyers' rows (here and, by signal, in the apps above) to ``kept``."""
    elsewhere = buyers_merged_send(
        sender=Buyer, agency_id=kept.agency_id, kept_id=kept.pk, merged_ids=merge_ids
    )
    moved = {
        "meetings": elsewhere.get("meetings", 0),
        "actions": elsewhere.get("actions", 0),
        "notes": BuyerNote.objects.filter(buyer_id__in=merge_ids).update(buyer=kept),
        "lifecycle_changes": BuyerLifecycleChange.objects.filter(buyer_id__in=merge_ids).update(
            buyer=kept
        ),
        "search_documents": elsewhere.get("search_documents", 0),
    }
    BuyerPhone.objects.filter(buyer_id__in=merge_ids).update(buyer=kept)
    BuyerPhone.objects.bulk_create(
        [BuyerPhone(agency_id=kept.agency_id, buyer=kept, phone=b.phone) for b in absorbed],
        ignore_conflicts=True,
    )
    BuyerMerge.objects.filter(kept_id__in=merge_ids).update(kept=kept)
    return moved


def _merge_fields_fill(*, kept: Buyer, absorbed: list[Buyer], actor: Seller | None) -> None:
    """Fill ``kept`` (unsaved) from the absorbed: tags, blank fields, profile, last contact,
    the furthest lifecycle and the analysis's lists."""
    tag_ids = set(
        Buyer.tags.through.objects.filter(
            buyer_id__in=[kept.pk, *(b.pk for b in absorbed)]
        ).values_list("buyertag_id", flat=True)
    )
    buyer_tags_set(buyer=kept, tags=list(BuyerTag.objects.filter(pk__in=tag_ids).order_by("name")))
    for name in EDITABLE_FIELDS:
        if not getattr(kept, name):
            setattr(kept, name, next((getattr(b, name) for b in absorbed if getattr(b, name)), ""))
    profile = dict(kept.profile or {})
    for buyer in absorbed:
        for name, entry in (buyer.profile or {}).items():
            profile.setdefault(name, entry)
    kept.profile = profile
    kept.created_by_id = kept.created_by_id or next(
        (b.created_by_id for b in absorbed if b.created_by_id), None
    )
    latest = max(
        [kept, *absorbed], key=lambda b: b.last_contacted_at or datetime.min.replace(tzinfo=UTC)
    )
    if latest.last_contacted_at and latest is not kept:
        kept.last_contacted_at = latest.last_contacted_at
        kept.last_contacted_by_id = latest.last_contacted_by_id
    furthest = max([kept, *absorbed], key=lambda b: LIFECYCLE_RANK.get(b.lifecycle, -1))
    if LIFECYCLE_RANK.get(furthest.lifecycle, -1) > LIFECYCLE_RANK.get(kept.lifecycle, -1):
        buyer_lifecycle_transition(
            buyer=kept,
            to_state=furthest.lifecycle,
            cause=LifecycleCause.MERGE,
            actor=actor,
            save=False,
        )
    for list_field in ("risks", "key_highlights", "products_discussed"):
        combined = list(getattr(kept, list_field) or [])
        for buyer in absorbed:
            combined += [i for i in getattr(buyer, list_field) or [] if i not in combined]
        setattr(kept, list_field, combined[:20])
