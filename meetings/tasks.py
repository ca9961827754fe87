import logging

from celery import shared_task

from meetings.models import Job

logger = logging.getLogger(__name__)


@shared_task(name="meetings.tasks.process_job")
def process_job(job_id: str) -> None:
    """Process one meeting's job. The real pipeline (transcribe, analyse) lands separately."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        logger.info("Job %s is gone; nothing to process", job_id)
        return
    logger.info("Job %s for meeting %s queued (status %s)", job.pk, job.meeting_id, job.status)
