import uuid
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from chirpworks.retrying import DATABASE_ERRORS, RetryingTask
from rollups.services import daily_rollups_refresh, rollups_rebuild


@shared_task(
    base=RetryingTask,
    acks_late=True,
    autoretry_for=DATABASE_ERRORS,  # the database blinked; a bug is not retried
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def refresh_daily_rollups(seller_days: list[list[str]]) -> int:
    """Refresh a large commit's rows, given as ``[[seller_id, "YYYY-MM-DD"], ...]``."""
    return daily_rollups_refresh(
        seller_days=[
            (uuid.UUID(seller_id), date.fromisoformat(day)) for seller_id, day in seller_days
        ]
    )


@shared_task(acks_late=True)
def repair_recent_rollups() -> int:
    """Nightly: recompute the last ``ROLLUP_REPAIR_DAYS`` days of every seller (any timezone)."""
    today = timezone.now().date()
    result = rollups_rebuild(
        start_day=today - timedelta(days=settings.ROLLUP_REPAIR_DAYS),
        end_day=today + timedelta(days=1),
    )
    return result.changed
