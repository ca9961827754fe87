import logging

from celery import shared_task

from meetings.reconciliation.services import calls_reconcile

logger = logging.getLogger(__name__)


# Registered under its old name: queued messages and the beat schedule still find it.
@shared_task(name="calls.tasks.reconcile_calls", acks_late=True)
def reconcile_calls(seller_id: str | None = None) -> None:
    """Reconcile one seller's calls (after a sync or a webhook), or everyone's (Celery beat)."""
    result = calls_reconcile(seller_ids=[seller_id] if seller_id else None)
    if result.meetings or result.late_recordings:
        logger.info(
            "Reconciliation: %s matched, %s app-only, %s Exotel-only, %s late recordings",
            result.matched,
            result.app_only,
            result.exotel_only,
            result.late_recordings,
        )
