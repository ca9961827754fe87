"""A meeting is a contact with its buyer: ``Buyer.last_contacted_at`` is never before it.

The buyer list orders buyers by ``last_contacted_at`` alone, read from an index; that is the
order of "the later of the latest meeting and the stored contact" only while every meeting
moves its buyer's stored contact forward. Bulk creation does so in
``meetings.services.meetings_create_for_calls``; a receiver catches every other ``save()``
(admin, demo data, tests). Deleting a meeting never moves a contact back, as it never did for
the reconciled calls that touched their buyer.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db.models.signals import post_save

from agencies.services import buyers_touch_contacts
from meetings.models import Meeting

# A save that changes none of these cannot make the meeting a later contact.
_CONTACT_FIELDS = {"start_time", "buyer", "buyer_id", "seller", "seller_id"}


def meetings_touch_buyers(*, meetings: Iterable[Meeting]) -> None:
    """Move each meeting's buyer's last contact forward to its latest meeting: one query."""
    contacts: dict[uuid.UUID, tuple[datetime, uuid.UUID]] = {}
    for meeting in meetings:
        latest = contacts.get(meeting.buyer_id)
        if latest is None or latest[0] < meeting.start_time:
            contacts[meeting.buyer_id] = (meeting.start_time, meeting.seller_id)
    if contacts:
        buyers_touch_contacts(contacts=contacts)


def _on_save(sender, instance: Meeting, created=False, update_fields=None, **kwargs) -> None:
    if created or update_fields is None or _CONTACT_FIELDS & set(update_fields):
        meetings_touch_buyers(meetings=[instance])


def connect() -> None:
    post_save.connect(_on_save, sender=Meeting, dispatch_uid="meeting-touches-buyer")
