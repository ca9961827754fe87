"""Keep insights fresh: every change to a meeting, action, buyer or app call queues a refresh.

Changes arrive through ``chirpworks.signals.entities_changed`` (sent for every save, delete and
bulk write that the search index hears of) and, for deletes, ``post_delete`` (which still knows
the buyer). The refresh runs in a Celery task after the transaction commits; a nightly task
repairs anything a lost message missed.
"""

import logging
import uuid

from django.db import transaction
from django.db.models.signals import post_delete
from kombu.exceptions import KombuError

from actions.models import Action
from chirpworks.signals import entities_changed
from meetings.models import Meeting

logger = logging.getLogger(__name__)

KINDS = frozenset({"meeting", "action", "buyer", "mobile_call"})


def insights_enqueue(*, kind: str, ids: list[str]) -> None:
    """Queue a refresh of the buyers behind these entities once the transaction commits."""
    from insights.tasks import refresh_insights_for

    def send() -> None:
        try:
            refresh_insights_for.delay(kind, ids)
        except (KombuError, OSError):  # the broker is down: the nightly refresh repairs it
            logger.warning("insights refresh not queued (%s, %d ids)", kind, len(ids))

    transaction.on_commit(send, robust=True)


def _on_entities_changed(sender, *, kind: str, ids: list[str], **kwargs) -> None:
    if kind in KINDS and ids:
        insights_enqueue(kind=kind, ids=[str(i) for i in ids])


def _on_delete(sender, instance, **kwargs) -> None:
    buyer_id: uuid.UUID | None = getattr(instance, "buyer_id", None)
    if buyer_id:
        insights_enqueue(kind="buyer", ids=[str(buyer_id)])


def connect() -> None:
    entities_changed.connect(_on_entities_changed, dispatch_uid="insights-entities-changed")
    for model in (Meeting, Action):
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"insights-del-{model.__name__}")
