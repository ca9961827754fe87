"""The buyer book's writes that reach meetings (``chirpworks.signals``): a merge moves the merged
buyers' meetings to the kept buyer; a buyer hidden, shown or merged changes what is shown of its
meetings, actions and unlinked app calls, which ``entities_changed`` tells search and insights."""

import uuid

from actions.models import Action
from calls.models import MobileAppCall
from chirpworks.signals import (
    KIND_ACTION,
    KIND_BUYER,
    KIND_MEETING,
    KIND_MOBILE_CALL,
    buyers_merged,
    buyers_visibility_changed,
    entities_changed_send,
)
from meetings.models import Meeting


def _move_merged_meetings(
    sender, *, agency_id: uuid.UUID, kept_id: uuid.UUID, merged_ids: list[uuid.UUID], **kwargs
) -> dict[str, int]:
    return {"meetings": Meeting.objects.filter(buyer_id__in=merged_ids).update(buyer_id=kept_id)}


def _reindex_buyer_world(
    sender, *, buyer_ids: list[uuid.UUID], phones: list[str], **kwargs
) -> None:
    entities_changed_send(sender=sender, kind=KIND_BUYER, ids=buyer_ids)
    entities_changed_send(
        sender=Meeting,
        kind=KIND_MEETING,
        ids=Meeting.objects.filter(buyer_id__in=buyer_ids).values_list("pk", flat=True),
    )
    entities_changed_send(
        sender=Action,
        kind=KIND_ACTION,
        ids=Action.objects.filter(buyer_id__in=buyer_ids).values_list("pk", flat=True),
    )
    if phones:
        entities_changed_send(
            sender=MobileAppCall,
            kind=KIND_MOBILE_CALL,
            ids=MobileAppCall.objects.filter(
                buyer_number__in=phones, meeting__isnull=True
            ).values_list("pk", flat=True),
        )


def connect() -> None:
    buyers_merged.connect(_move_merged_meetings, dispatch_uid="meetings-buyers-merged")
    buyers_visibility_changed.connect(_reindex_buyer_world, dispatch_uid="meetings-buyer-world")
