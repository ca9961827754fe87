"""The buyer book's writes that reach meetings and the search index (``chirpworks.signals``):
a merge moves the merged buyers' meetings and search documents to the kept buyer; a buyer hidden,
shown or merged re-indexes what search shows of it."""

import uuid

from actions.models import Action
from calls.models import MobileAppCall
from chirpworks.signals import buyers_merged, buyers_visibility_changed
from meetings.models import Meeting, SearchDocument
from meetings.search.documents import KIND_ACTION, KIND_BUYER, KIND_MEETING, KIND_MOBILE_CALL
from meetings.search.signals import search_index_enqueue


def _move_merged_meetings(
    sender, *, agency_id: uuid.UUID, kept_id: uuid.UUID, merged_ids: list[uuid.UUID], **kwargs
) -> dict[str, int]:
    return {
        "meetings": Meeting.objects.filter(buyer_id__in=merged_ids).update(buyer_id=kept_id),
        "search_documents": SearchDocument.objects.filter(
            agency_id=agency_id, buyer_id__in=merged_ids
        ).update(buyer_id=kept_id),
    }


def _reindex_buyer_world(
    sender, *, buyer_ids: list[uuid.UUID], phones: list[str], **kwargs
) -> None:
    search_index_enqueue(kind=KIND_BUYER, entity_ids=buyer_ids)
    search_index_enqueue(
        kind=KIND_MEETING,
        entity_ids=Meeting.objects.filter(buyer_id__in=buyer_ids).values_list("pk", flat=True),
    )
    search_index_enqueue(
        kind=KIND_ACTION,
        entity_ids=Action.objects.filter(buyer_id__in=buyer_ids).values_list("pk", flat=True),
    )
    if phones:
        search_index_enqueue(
            kind=KIND_MOBILE_CALL,
            entity_ids=MobileAppCall.objects.filter(
                buyer_number__in=phones, meeting__isnull=True
            ).values_list("pk", flat=True),
        )


def connect() -> None:
    buyers_merged.connect(_move_merged_meetings, dispatch_uid="meetings-buyers-merged")
    buyers_visibility_changed.connect(_reindex_buyer_world, dispatch_uid="search-buyer-world")
