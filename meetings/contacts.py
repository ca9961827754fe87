"""A meeting is a contact with its buyer: ``Buyer.last_contacted_at`` is never before it.

The buyer list orders buyers by ``last_contacted_at`` alone, read from an index; that is the
order of "the later of the latest meeting and the stored contact" only while every meeting
moves its buyer's stored contact forward. Bulk creation does so in
``meetings.services.meetings_insert_for_calls``; a receiver catches every other ``save()``
(admin, demo data, tests). Deleting a meeting never moves a contact back, as it never did for
the reconciled calls that touched their buyer.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db.models.signals import post_save

from agencies.services import buyers_touch_contacts
from meetings.models import Meeting

# A save that changes none of these cannot make the meeting a later contact.
_CONTACT_FIELDS = {"start_time", "buyer", "buyer_id", "seller", "seller_id"}


def meetings_touch_buyers(*, meetings: Iterable[Meeting]) -> None:
    """Move each meeting's buyer's last contact forward to its latest meeting: one query."""
    buyers_touch_for_visits(visits=[(m.buyer_id, m.start_time, m.seller_id) for m in meetings])


def buyers_touch_for_visits(
    *,
    visits: Iterable[tuple[uuid.UUID, datetime, uuid.UUID]],
    known: Mapping[uuid.UUID, datetime | None] | None = None,
) -> None:
    """Move each buyer's last contact forward to its latest visit ``(buyer_id, when,
    seller_id)``: one query, or none.

    ``known``: a buyer's last contact as the caller read it (under the buyer's lock, or as it
    created the buyer). Contacts only move forward, so a buyer known to be contacted at or
    after its latest visit is already right and is not written.
    """
    known = known or {}
    contacts: dict[uuid.UUID, tuple[datetime, uuid.UUID]] = {}
    for buyer_id, when, seller_id in visits:
        latest = contacts.get(buyer_id)
        if latest is None or latest[0] < when:
            contacts[buyer_id] = (when, seller_id)
    contacts = {
        buyer_id: contact
        for buyer_id, contact in contacts.items()
        if (seen := known.get(buyer_id)) is None or seen < contact[0]
    }
    if contacts:
        buyers_touch_contacts(contacts=contacts)


def _on_save(sender, instance: Meeting, created=False, update_fields=None, **kwargs) -> None:
    if created or update_fields is None or _CONTACT_FIELDS & set(update_fields):
        meetings_touch_buyers(meetings=[instance])


def connect() -> None:
    post_save.connect(_on_save, sender=Meeting, dispatch_uid="meeting-touches-buyer")
