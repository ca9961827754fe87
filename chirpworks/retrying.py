"""Celery retries, one way: transient and permanent errors told apart by exception type.

Every task that can fail for now declares ``autoretry_for`` (its transient error types),
``retry_backoff`` (seconds, doubled per retry), ``retry_backoff_max``, ``retry_jitter`` and
``max_retries``; Celery retries those errors with exponential backoff and full jitter. Any other
error is permanent: it is not retried, and the service or task records it (a failed job, a failed
recording) and returns. A task given an id whose row is gone returns without doing anything.

``RetryingTask`` (``base=RetryingTask``) adds what a task needs beyond Celery's options:

- ``final_attempt``: whether this run is the last the limit allows, so a transient error on it is
  recorded as the final failure rather than raised into a task failure nobody records;
- ``retry_scheduled``: a hook run just before a retry is sent, for an outbox stamp (the row says
  when its retry is due, so the periodic sweep does not send it early).
"""

from typing import Any

from celery import Task
from django.db import InterfaceError, OperationalError

# The database blinked (connection lost, deadlock, failover): the same work will succeed later.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class TransientError(Exception):
    """A failure worth retrying later: a service, storage or the network was unavailable."""


class RetryingTask(Task):
    retry_backoff = True
    retry_jitter = True

    @property
    def final_attempt(self) -> bool:
        """This run is the last one ``max_retries`` allows (``None``: retried for ever)."""
        return self.max_retries is not None and self.request.retries >= self.max_retries

    def retry_scheduled(
        self, exc: BaseException | None, countdown: float, args: Any, kwargs: Any
    ) -> None:
        """Called before a retry due in ``countdown`` seconds is sent, with the call's ``args``
        and ``kwargs`` (as Celery's ``on_retry``, but before the message leaves). Nothing here."""

    def retry(
        self,
        args: Any = None,
        kwargs: Any = None,
        exc: BaseException | None = None,
        throw: bool = True,
        eta: Any = None,
        countdown: float | None = None,
        max_retries: int | None = None,
        **options: Any,
    ) -> Any:
        limit = self.max_retries if max_retries is None else max_retries
        # Celery sends a retry exactly then (a task called as a plain function never retries).
        sent = limit is None or self.request.retries < limit
        if sent and not self.request.called_directly:
            self.retry_scheduled(
                exc, countdown or 0, self.request.args or (), self.request.kwargs or {}
            )
        return super().retry(
            args=args,
            kwargs=kwargs,
            exc=exc,
            throw=throw,
            eta=eta,
            countdown=countdown,
            max_retries=max_retries,
            **options,
        )
