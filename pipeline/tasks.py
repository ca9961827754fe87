"""Celery tasks of the processing pipeline (issue 4). Tasks take ids and call services.

The registered names stay ``meetings.tasks.*`` (where the tasks were first defined), so messages
queued before a deploy, and the beat schedule, keep finding them.
"""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import timezone

from chirpworks.retrying import RetryingTask
from meetings import job_services as services
from pipeline import processing

logger = logging.getLogger(__name__)


def retry_countdown(retries: int) -> int:
    """The countdown ``process_job``'s ``retry_backoff`` / ``retry_jitter`` give its n-th retry
    (Celery's formula, full jitter): random in [0, min(max, base * 2**retries)]."""
    return get_exponential_backoff_interval(
        factor=settings.JOB_RETRY_BACKOFF,
        retries=retries,
        maximum=settings.JOB_RETRY_BACKOFF_MAX,
        full_jitter=True,
    )


class ProcessJobTask(RetryingTask):
    def retry_scheduled(self, exc: BaseException | None, countdown: float, args, kwargs) -> None:
        job_id: Any = args[0] if args else kwargs["job_id"]
        logger.warning("Job %s: %s; retrying in %ss", job_id, exc, countdown)
        # The outbox stamp says when the retry is due, so the sweep does not send it early.
        services.jobs_mark_enqueued(
            job_ids=[job_id], at=timezone.now() + timedelta(seconds=countdown)
        )


@shared_task(
    bind=True,
    base=ProcessJobTask,
    name="meetings.tasks.process_job",
    acks_late=True,  # idempotent: a redelivered message finds the job claimed or done
    reject_on_worker_lost=True,
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_HARD_TIME_LIMIT,
    autoretry_for=(processing.TransientJobError,),
    retry_backoff=settings.JOB_RETRY_BACKOFF,
    retry_backoff_max=settings.JOB_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.JOB_MAX_RETRIES,
)
def process_job(self, job_id: str) -> str:
    """Transcribe, analyse and persist one job; transient failures retry with backoff, and on
    the last attempt allowed they fail the job (``final_attempt``)."""
    return processing.job_run(job_id=str(job_id), final_attempt=self.final_attempt)


@shared_task(
    name="meetings.tasks.analyse_job",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_HARD_TIME_LIMIT,
)
def analyse_job(job_id: str) -> str:
    """Re-run the analysis on a stored transcript (``POST /api/analysis/trigger_analysis``)."""
    return processing.job_reanalyse(job_id=str(job_id))


@shared_task(name="meetings.tasks.requeue_stuck_jobs")
def requeue_stuck_jobs() -> list[str]:
    """Periodic: hand back jobs whose worker's lease ran out, and send every job in init that the
    queue does not hold (never sent, or sent long ago); the row is the queue's source of truth."""
    return services.job_requeue_stuck()
