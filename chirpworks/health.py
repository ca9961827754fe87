"""Health checks for ``GET /api/health/``: each returns a small dict and raises nothing.

The project's own checks live here; apps whose work the report covers (the job queue, the
backlog, the speech model) fill their slots from ``AppConfig.ready`` with ``check_register`` and
``backlog_register``, so this module imports no app. ``CHECK_ORDER`` and ``BACKLOG_ORDER`` fix the
report's key order, which is part of the /health output.
"""

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


def check_backlog() -> dict[str, Any]:
    """Work that should have moved and has not: jobs whose worker's lease ran out (stuck), jobs
    and recording downloads waiting past HEALTH_OVERDUE_AFTER (overdue). Any of them makes the
    report "degraded": the service answers, but something (a worker, beat, the broker) is off."""
    counts = {name: BACKLOG[name]() for name in BACKLOG_ORDER if name in BACKLOG}
    return {**counts, "degraded": any(counts.values())}


def check_storage() -> dict[str, Any]:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return {"backend": settings.STORAGES["default"]["BACKEND"].rsplit(".", 1)[-1]}


CHECK_ORDER = (
    "database",
    "cache",
    "broker",
    "workers",
    "queue",
    "backlog",
    "storage",
    "speech_model",
)
BACKLOG_ORDER = ("stuck_jobs", "overdue_jobs", "overdue_recordings")

CHECKS: dict[str, Check] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "workers": check_workers,
    "backlog": check_backlog,
    "storage": check_storage,
}
BACKLOG: dict[str, Callable[[], int]] = {}


def check_register(*, name: str, check: Check) -> None:
    """An app adds (or replaces) the check reported under ``name``."""
    if name not in CHECK_ORDER:
        raise ValueError(f"unknown health check {name!r}: add it to CHECK_ORDER")
    CHECKS[name] = check


def backlog_register(*, name: str, count: Callable[[], int]) -> None:
    """An app adds a count of its overdue or stuck work to the backlog check."""
    if name not in BACKLOG_ORDER:
        raise ValueError(f"unknown backlog count {name!r}: add it to BACKLOG_ORDER")
    BACKLOG[name] = count


def health_report() -> tuple[bool, dict[str, Any]]:
    """(healthy, report): "unhealthy" (503) when a check fails; "degraded" (still 200, so a load
    balancer keeps the web process) when work is stuck or overdue; else "ok"."""
    results = {name: _timed(CHECKS[name]) for name in CHECK_ORDER if name in CHECKS}
    healthy = all(result["ok"] for result in results.values())
    if not healthy:
        status = "unhealthy"
    elif any(result.get("degraded") for result in results.values()):
        status = "degraded"
    else:
        status = "ok"
    return healthy, {"status": status, "checks": results}
