"""A buyer merge (``chirpworks.signals.buyers_merged``) moves the merged buyers' actions to the
kept buyer."""

import uuid

from actions.models import Action
from chirpworks.signals import buyers_merged


def _move_merged_actions(
    sender, *, kept_id: uuid.UUID, merged_ids: list[uuid.UUID], **kwargs
) -> dict[str, int]:
    return {"actions": Action.objects.filter(buyer_id__in=merged_ids).update(buyer_id=kept_id)}


def connect() -> None:
    buyers_merged.connect(_move_merged_actions, dispatch_uid="actions-buyers-merged")
