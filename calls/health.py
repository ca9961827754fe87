"""The calls' slot in ``GET /api/health/``: Exotel recordings waiting past their download time."""

from chirpworks.health import backlog_register


def overdue_recordings() -> int:
    from calls.selectors import exotel_recordings_overdue

    return exotel_recordings_overdue().count()


def register() -> None:
    backlog_register(name="overdue_recordings", count=overdue_recordings)
