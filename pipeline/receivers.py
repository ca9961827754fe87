"""The pipeline's side of ``meetings.signals``: jobs the meetings app asks for go to the queue."""

from typing import Any

from chirpworks.outages import task_send
from meetings.signals import jobs_process_requested, jobs_reanalysis_requested


def process_jobs(*, job_ids: list[str], **kwargs: Any) -> list[str]:
    """Send each job to ``process_job``; a broker outage is logged and the job left to the sweep."""
    from pipeline.tasks import process_job  # late: the web process need not load the pipeline

    return [job_id for job_id in job_ids if task_send(process_job, job_id)]


def reanalyse_jobs(*, job_ids: list[str], **kwargs: Any) -> None:
    from pipeline.tasks import analyse_job

    for job_id in job_ids:
        analyse_job.delay(job_id)


def connect() -> None:
    jobs_process_requested.connect(process_jobs, dispatch_uid="pipeline.process_jobs")
    jobs_reanalysis_requested.connect(reanalyse_jobs, dispatch_uid="pipeline.reanalyse_jobs")
