import uuid

from celery import shared_task

from agencies.models import Agency
from chirpworks.retrying import DATABASE_ERRORS, RetryingTask
from insights import selectors, services


@shared_task(
    base=RetryingTask,
    acks_late=True,
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def refresh_insights_for(kind: str, ids: list[str]) -> int:
    """Refresh the buyers behind changed entities (ids of ``kind``); gone rows are skipped."""
    buyer_ids = selectors.buyer_ids_behind(kind=kind, ids=[uuid.UUID(i) for i in ids])
    return services.buyer_insights_refresh(buyer_ids=buyer_ids)


@shared_task(acks_late=True)
def refresh_all_insights() -> int:
    """Nightly: time alone makes actions overdue and deals quiet, so every buyer is redone."""
    return sum(
        services.agency_insights_refresh(agency_id=agency_id)
        for agency_id in Agency.objects.values_list("id", flat=True)
    )
