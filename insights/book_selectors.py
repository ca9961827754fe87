"""Reads on the buyer book: who may change a buyer, and what its profile adds from the book.

The timeline, the audit trail and the duplicates are ``book_timeline_selectors``,
``book_audit_selectors`` and ``book_duplicate_selectors``.

Who may do what (a buyer another agency owns, or one the caller may not see, is always 404):
- edit, tag, note: a seller who sees the buyer (``buyer_selectors.buyers_visible``: a seller of
  theirs met, added or last contacted it), their manager, an admin; never a guest;
- delete: an admin, or the manager of the buyer's seller (``buyer_owner_id``);
- restore: an admin;
- merge: an admin, or a manager who manages the seller of every buyer involved;
- audit trail: an admin, or a manager who sees the buyer.
"""

import uuid
from typing import Any

from django.utils import timezone

from agencies.models import (
    Buyer,
    BuyerNote,
    BuyerPhone,
)
from chirpworks.exceptions import ForbiddenError, NotFoundError
from chirpworks.phones import phone_denorm
from insights.buyer_selectors import buyers_visible
from meetings.models import Meeting
from sellers.access_selectors import scope_visible, seller_can_manage
from sellers.models import Role, Seller

PROFILE_NOTES = 20


def _not_found() -> NotFoundError:
    return NotFoundError("Buyer not found", code="buyer_not_found")


def buyer_owner_id(buyer: Buyer) -> uuid.UUID | None:
    """The buyer's seller: whoever contacted them last, else whoever added them."""
    return buyer.last_contacted_by_id or buyer.created_by_id


def _visible(actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    buyer = (
        buyers_visible(scope=scope_visible(actor=actor), buyer_id=buyer_id)
        .select_related("agency")
        .first()
    )
    if buyer is None:
        raise _not_found()
    return buyer


def buyer_get_writable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    """A buyer the caller may edit, tag or note: one they see, and they are not a guest."""
    buyer = _visible(actor, buyer_id)
    if actor.role == Role.GUEST:
        raise ForbiddenError("Guests have read-only access", code="not_allowed")
    return buyer


def _manages(actor: Seller, owner_id: uuid.UUID | None) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return owner_id is not None and seller_can_manage(actor=actor, seller_id=owner_id)


def buyer_get_deletable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    buyer = _visible(actor, buyer_id)
    if not _manages(actor, buyer_owner_id(buyer)):
        raise ForbiddenError(
            "Only an admin or the manager of the buyer's seller may delete a buyer",
            code="not_allowed",
        )
    return buyer


def buyer_get_restorable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    """A deleted buyer of the caller's agency, for an admin."""
    buyer = Buyer.objects.filter(
        agency_id=actor.agency_id, pk=buyer_id, deleted_at__isnull=False
    ).first()
    if buyer is None:
        raise _not_found()
    if actor.role != Role.ADMIN:
        raise ForbiddenError("Only an admin may restore a buyer", code="not_allowed")
    return buyer


def buyers_get_mergeable(
    *, actor: Seller, keep_id: uuid.UUID, merge_ids: list[uuid.UUID]
) -> tuple[Buyer, list[Buyer]]:
    ids = {keep_id, *merge_ids}
    found = {b.pk: b for b in buyers_visible(scope=scope_visible(actor=actor)).filter(pk__in=ids)}
    if found.keys() != ids:
        raise _not_found()
    if not all(_manages(actor, buyer_owner_id(b)) for b in found.values()):
        raise ForbiddenError(
            "Only an admin or the manager of every buyer's seller may merge them",
            code="not_allowed",
        )
    return found[keep_id], [found[pk] for pk in merge_ids]


def buyer_get_auditable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    """Admins read any buyer's trail (a deleted one's too); a manager the buyers they see."""
    if actor.role == Role.ADMIN:
        buyer = Buyer.objects.filter(agency_id=actor.agency_id, pk=buyer_id).first()
        if buyer is None:
            raise _not_found()
        return buyer
    buyer = _visible(actor, buyer_id)
    if actor.role != Role.MANAGER:
        raise ForbiddenError(
            "Only an admin or a manager may read the audit trail", code="not_allowed"
        )
    return buyer


def meeting_get_notable(*, actor: Seller, meeting_id: uuid.UUID) -> Meeting:
    """A meeting the caller may note: theirs, their team's (manager) or the agency's (admin),
    of a buyer that is not deleted; never for a guest."""
    meeting = (
        Meeting.objects.filter(
            scope_visible(actor=actor).q(),
            agency_id=actor.agency_id,
            pk=meeting_id,
            buyer__deleted_at__isnull=True,
        )
        .select_related("buyer")
        .first()
    )
    if meeting is None:
        raise NotFoundError("Meeting not found or unauthorized", code="meeting_not_found")
    if actor.role == Role.GUEST:
        raise ForbiddenError("Guests have read-only access", code="not_allowed")
    return meeting


def actor_row(kind: str, seller_id: Any = None, name: str | None = None) -> dict[str, Any]:
    """Who did something, as the timeline and the audit trail show it."""
    return {"kind": kind, "id": str(seller_id) if seller_id else None, "name": name}


def note_row(note: BuyerNote) -> dict[str, Any]:
    """A note as the profile and the timeline show it."""
    return {
        "id": note.pk,
        "text": note.text,
        "kind": note.kind,
        "meeting_id": note.meeting_id,
        "created_at": timezone.localtime(note.created_at),
        "author": actor_row(
            "user" if note.author_id else "system",
            note.author_id,
            note.author.name if note.author_id else None,
        ),
    }


def buyer_book_details(*, buyer: Buyer) -> dict[str, Any]:
    """What the profile adds from the book: lifecycle, tags, profile fields, notes, numbers."""
    notes = BuyerNote.objects.filter(buyer=buyer).select_related("author")[:PROFILE_NOTES]
    return {
        "lifecycle": buyer.lifecycle,
        "tags": list(buyer.tag_names or []),
        "profile": buyer.profile or {},
        "notes": [note_row(note) for note in notes],
        "alternate_phones": [
            phone_denorm(phone)
            for phone in BuyerPhone.objects.filter(buyer=buyer).values_list("phone", flat=True)
        ],
    }
