"""Health checks for ``GET /api/health/``: each returns a small dict and raises nothing."""

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

Check = Callable[[], dict[str, Any]]


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except Exception as exc:  # a health check reports failures, it never raises them
        result = {"ok": False, "error": exc.__class__.__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_cache() -> dict[str, Any]:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it stored")
    cache.delete(key)
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def check_broker() -> dict[str, Any]:
    from chirpworks.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return {"transport": conn.transport_cls}


def check_workers() -> dict[str, Any]:
    from chirpworks.models import WorkerHeartbeat

    max_age = timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
    recent = WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - max_age)
    workers = sorted(recent.values_list("hostname", flat=True))
    if not workers:
        raise RuntimeError("no worker heartbeat")
    return {"seen": len(workers)}


def check_queue() -> dict[str, Any]:
    from meetings.models import Job, JobStatus

    waiting = Job.objects.filter(status=JobStatus.INIT)
    oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {"waiting_jobs": waiting.count(), "oldest_waiting_seconds": round(age)}


def check_backlog() -> dict[str, Any]:
    """Work that should have moved and has not: jobs whose worker's lease ran out (stuck), jobs
    and recording downloads waiting past HEALTH_OVERDUE_AFTER (overdue). Any of them makes the
    report "degraded": the service answers, but something (a worker, beat, the broker) is off."""
    from calls.services import exotel_recordings_overdue
    from meetings.services import jobs_overdue, jobs_stuck

    counts = {
        "stuck_jobs": jobs_stuck().count(),
        "overdue_jobs": jobs_overdue().count(),
        "overdue_recordings": exotel_recordings_overdue().count(),
    }
    return {**counts, "degraded": any(counts.values())}


def check_storage() -> dict[str, Any]:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return {"backend": settings.STORAGES["default"]["BACKEND"].rsplit(".", 1)[-1]}


CHECKS: dict[str, Check] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "workers": check_workers,
    "queue": check_queue,
    "backlog": check_backlog,
    "storage": check_storage,
}


def health_check_register(name: str, check: Check) -> None:
    """Add an app's check to the report (from its ``AppConfig.ready``); it runs after these."""
    CHECKS[name] = check


def health_report() -> tuple[bool, dict[str, Any]]:
    """(healthy, report): "unhealthy" (503) when a check fails; "degraded" (still 200, so a load
    balancer keeps the web process) when work is stuck or overdue; else "ok"."""
    results = {name: _timed(check) for name, check in CHECKS.items()}
    healthy = all(result["ok"] for result in results.values())
    if not healthy:
        status = "unhealthy"
    elif any(result.get("degraded") for result in results.values()):
        status = "degraded"
    else:
        status = "ok"
    return healthy, {"status": status, "checks": results}
