import logging
from dataclasses import asdict
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from calls.call_details_services import exotel_calls_fetch_missing
from calls.recording_services import (
    exotel_recording_download,
    exotel_recording_mark_failed,
    exotel_recordings_mark_queued,
    exotel_recordings_sweep,
)
from calls.recordings import RecordingDownloadError, RecordingUnavailable
from calls.services import calls_cleanup_unmatched
from chirpworks.retrying import RetryingTask

logger = logging.getLogger(__name__)

DOWNLOAD_MAX_RETRIES = 8
DOWNLOAD_RETRY_BACKOFF = 15  # seconds before the first retry, doubled per retry


class DownloadRecordingTask(RetryingTask):
    def retry_scheduled(self, exc: BaseException | None, countdown: float, args, kwargs) -> None:
        exotel_call_id = args[0] if args else kwargs["exotel_call_id"]
        logger.info("Recording for Exotel call %s: %s; retrying", exotel_call_id, exc)
        # The outbox stamp says when the retry is due, so the sweep does not send it early.
        exotel_recordings_mark_queued(
            exotel_call_ids=[exotel_call_id], at=timezone.now() + timedelta(seconds=countdown)
        )


@shared_task(
    bind=True,
    base=DownloadRecordingTask,
    acks_late=True,
    soft_time_limit=settings.EXOTEL_DOWNLOAD_TIME_LIMIT - 10,
    time_limit=settings.EXOTEL_DOWNLOAD_TIME_LIMIT,
    autoretry_for=(RecordingUnavailable,),
    retry_backoff=DOWNLOAD_RETRY_BACKOFF,
    retry_backoff_max=settings.EXOTEL_DOWNLOAD_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=DOWNLOAD_MAX_RETRIES,
)
def download_exotel_recording(self, exotel_call_id: str) -> None:
    """Fetch an Exotel call's recording; a passing failure retries with backoff, a lasting one
    (or a passing one on the last attempt) marks the recording failed."""
    try:
        exotel_recording_download(exotel_call_id=exotel_call_id)
    except RecordingDownloadError as exc:
        if isinstance(exc, RecordingUnavailable) and not self.final_attempt:
            raise  # autoretry_for: retried with backoff
        exotel_recording_mark_failed(exotel_call_id=exotel_call_id, reason=str(exc))


@shared_task
def sweep_pending_recordings() -> list[str]:
    """Periodic: send the pending recording downloads the queue does not hold (the outbox)."""
    return exotel_recordings_sweep()


@shared_task(acks_late=True)
def cleanup_unmatched_calls() -> None:
    older_than = timezone.now() - timedelta(days=settings.CALL_UNMATCHED_RETENTION_DAYS)
    result = calls_cleanup_unmatched(older_than=older_than, dry_run=False)
    logger.info(
        "Unmatched call cleanup: %s app calls, %s Exotel calls",
        result.app_calls,
        result.exotel_calls,
    )


@shared_task(acks_late=True)
def fetch_missing_exotel_calls() -> dict:
    """Celery beat: look up in Exotel's Call Details the calls whose webhooks never came."""
    result = exotel_calls_fetch_missing()
    if result.app_calls or result.stopped:
        logger.info(
            "Exotel Call Details: %s app calls looked up, %s requests, %s rows, %s new%s",
            result.app_calls,
            result.requests,
            result.rows,
            result.ingested,
            f"; stopped: {result.stopped}" if result.stopped else "",
        )
    return asdict(result)
