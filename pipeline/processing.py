"""The processing pipeline of one job: load audio -> transcribe -> analyse -> persist -> completed.

Called by ``meetings.tasks.process_job``. Every outcome leaves the job in a clear state:
completed; failure with a readable error (corrupt or silent audio, rejected input, retries used
up); or back to init, raising ``TransientJobError`` so the task retries with backoff.
"""

import logging
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections

from chirpworks.retrying import TransientError
from meetings import job_services
from meetings.metrics import jobs_observe
from meetings.models import Job, JobStatus
from pipeline.analysis import InvalidAnalysis, get_analysis_provider
from pipeline.analysis.schema import validate_analysis
from pipeline.selectors import meeting_analysis_context
from pipeline.transcription import (
    TranscriptionError,
    TranscriptionUnavailable,
    recording_transcribe,
    segments_apply_roles,
    vocabulary_from_context,
)

logger = logging.getLogger(__name__)

try:  # S3 storage errors are transient too, when django-storages' S3 backend is in use
    from botocore.exceptions import BotoCoreError, ClientError

    STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - boto3 is installed with django-storages[s3]
    STORAGE_ERRORS = (OSError,)


class TransientJobError(TransientError):
    """A failure worth retrying later (storage or a remote service unavailable)."""


class PermanentJobError(Exception):
    """A failure retrying cannot fix; the message is shown as the job's error."""


@contextmanager
def recording_file(job: Job):
    """The job's recording copied from storage to a local temporary file (PyAV needs a seekable
    local file; S3 objects are streamed down once)."""
    name = job.meeting.recording.name or job.audio_location
    if not name:
        raise PermanentJobError("The meeting has no recording")
    suffix = Path(name).suffix[:10]
    with tempfile.NamedTemporaryFile(suffix=suffix) as local:
        try:
            with default_storage.open(name, "rb") as source:
                shutil.copyfileobj(source, local)
        except FileNotFoundError as exc:
            raise PermanentJobError("The recording was not found in storage") from exc
        except STORAGE_ERRORS as exc:
            raise TransientJobError(f"Storage unavailable ({type(exc).__name__})") from exc
        local.flush()
        yield Path(local.name)


def job_analyse(*, job: Job, segments: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    context = context or meeting_analysis_context(meeting=job.meeting)
    try:
        analysis = get_analysis_provider().analyse(segments=segments, context=context)
        if not isinstance(analysis, dict):
            raise PermanentJobError("The analysis provider returned no result")
        # Whatever the provider, what is stored has the one schema (the built-in ones check too).
        return validate_analysis(analysis, timezone=context.timezone)
    except InvalidAnalysis as exc:
        raise PermanentJobError(f"The analysis was invalid: {exc}") from exc


def _run_steps(
    job: Job,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, float], list[dict[str, Any]]]:
    timings: dict[str, float] = {}
    began = time.perf_counter()
    # The agency's vocabulary (products, competitors, names) steers the transcription too.
    context = meeting_analysis_context(meeting=job.meeting)
    with recording_file(job) as path:
        timings["load"] = time.perf_counter() - began
        began = time.perf_counter()
        try:
            transcript = recording_transcribe(path, vocabulary=vocabulary_from_context(context))
        except TranscriptionError as exc:
            raise PermanentJobError(str(exc)) from exc
        except TranscriptionUnavailable as exc:
            raise TransientJobError(str(exc)) from exc
        timings["transcribe"] = time.perf_counter() - began
    began = time.perf_counter()
    analysis = job_analyse(job=job, segments=transcript.segments)
    timings["analyse"] = time.perf_counter() - began
    segments = segments_apply_roles(transcript.segments, analysis.get("speaker_roles"))
    return segments, analysis, timings, transcript.warnings


@contextmanager
def job_lease_kept(*, job_id, attempt: int):
    """Renew the job's lease from a background thread while the body runs (transcription holds
    the main thread for minutes). If this process dies, renewals stop and the lease runs out in
    JOB_LEASE_SECONDS, after which a redelivered message or the sweep takes the job over."""
    stop = threading.Event()
    interval = max(1.0, settings.JOB_LEASE_SECONDS / 4)

    def renew() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not job_services.job_lease_renew(job_id=job_id, attempt=attempt):
                        logger.warning("Job %s: lease lost to another worker", job_id)
                        return
                except Exception:  # a database blip: the next beat tries again
                    logger.warning("Job %s: lease renewal failed", job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    beat = threading.Thread(target=renew, name=f"lease-{job_id}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(timeout=5)


def job_run(*, job_id: str, final_attempt: bool = False) -> str:
    """Process ``job_id`` once; returns ``completed``, ``failed`` or ``skipped``.

    Raises ``TransientJobError`` (the job handed back to init) when a retry may succeed, unless
    this is the ``final_attempt``, in which case the job fails.
    """
    job = job_services.job_claim(job_id=job_id)
    if job is None:
        return "skipped"  # gone, finished, or another worker has it
    attempt = job.attempts
    try:
        with job_lease_kept(job_id=job.pk, attempt=attempt):
            segments, analysis, timings, warnings = _run_steps(job)
    except TransientJobError as exc:
        if final_attempt:
            job_services.job_fail(
                job=job, attempt=attempt, error=f"{exc}; gave up after {attempt} attempts"
            )
            return "failed"
        job_services.job_release(job=job, attempt=attempt, error=f"Retrying: {exc}")
        raise
    except PermanentJobError as exc:
        job_services.job_fail(job=job, attempt=attempt, error=str(exc))
        return "failed"
    except SoftTimeLimitExceeded:
        job_services.job_fail(
            job=job,
            attempt=attempt,
            error=f"Processing took longer than {settings.JOB_SOFT_TIME_LIMIT} s",
        )
        return "failed"
    except Exception:  # a bug must not leave the job in progress forever
        logger.exception("Job %s crashed", job_id)
        job_services.job_fail(job=job, attempt=attempt, error="Internal error while processing")
        return "failed"

    began = time.perf_counter()
    if not job_services.job_complete_with_results(
        job=job, attempt=attempt, transcription=segments, analysis=analysis, warnings=warnings
    ):
        logger.warning("Job %s was taken over by another worker; results dropped", job_id)
        return "skipped"
    timings["persist"] = time.perf_counter() - began
    jobs_observe(outcome="completed", timings=timings)
    logger.info(
        "Job %s completed: %s",
        job_id,
        ", ".join(f"{step} {seconds:.2f}s" for step, seconds in timings.items()),
    )
    return "completed"


def job_reanalyse(*, job_id: str) -> str:
    """Analyse the meeting's stored transcript again and persist it (``trigger_analysis``).

    A job an external worker left in progress is completed by it; a completed one stays so.
    """
    job = (
        Job.objects.select_related("meeting__agency", "meeting__seller", "meeting__buyer")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.status not in (JobStatus.IN_PROGRESS, JobStatus.COMPLETED):
        return "skipped"
    segments = job.meeting.transcription
    if not segments:
        return "skipped"
    try:
        analysis = job_analyse(job=job, segments=segments)
    except PermanentJobError as exc:
        logger.warning("Re-analysis of job %s failed: %s", job_id, exc)
        return "failed"
    job_services.job_apply_reanalysis(job=job, analysis=analysis)
    return "completed"
