"""Celery tasks of the meetings app. Tasks take ids and call services.

The processing pipeline's tasks (``meetings.tasks.process_job`` and friends, by their registered
names) live in ``pipeline.tasks``.
"""

import logging

from celery import shared_task

from meetings import recording_services as services
from meetings.reconciliation.tasks import reconcile_calls  # noqa: F401  (registers the task)

logger = logging.getLogger(__name__)


@shared_task(name="meetings.tasks.cleanup_recordings")
def cleanup_recordings() -> int:
    """Periodic: delete recordings past their agency's retention (transcripts stay)."""
    result = services.meetings_purge_recordings()
    logger.info("Deleted %d recording files of %d meetings", result.files, result.meetings)
    return result.meetings
