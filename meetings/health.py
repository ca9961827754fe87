"""The meetings' slots in ``GET /api/health/``: the job queue, stuck and overdue jobs (registered by
``MeetingsConfig.ready``; the speech model's is the pipeline's)."""

from typing import Any

from django.utils import timezone

from chirpworks.health import backlog_register, check_register


def check_queue() -> dict[str, Any]:
    from meetings.models import Job, JobStatus

    waiting = Job.objects.filter(status=JobStatus.INIT)
    oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {"waiting_jobs": waiting.count(), "oldest_waiting_seconds": round(age)}


def stuck_jobs() -> int:
    from meetings.job_selectors import jobs_stuck

    return jobs_stuck().count()


def overdue_jobs() -> int:
    from meetings.job_selectors import jobs_overdue

    return jobs_overdue().count()


def register() -> None:
    check_register(name="queue", check=check_queue)
    backlog_register(name="stuck_jobs", count=stuck_jobs)
    backlog_register(name="overdue_jobs", count=overdue_jobs)
