import logging

from celery import shared_task

from agencies.book_services import buyers_mark_dormant

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def mark_dormant_buyers() -> int:
    """Daily (beat): buyers with no call for their agency's dormancy period become dormant."""
    changed = buyers_mark_dormant()
    if changed:
        logger.info("%s buyers became dormant", changed)
    return changed
