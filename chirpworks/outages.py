"""Surviving a broker or cache outage: what a lost enqueue or an unreachable Redis must not break.

The database is the source of truth for queued work (an outbox): a row that should be processed
says so (a job in ``init``, a recording ``pending``), and beat sweeps such rows when their message
was never sent or went stale. Sending a task is therefore best effort once the data is committed:
``task_send`` logs a broker failure instead of turning a saved request into a 500.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What leaves Celery's ``delay`` when the broker is unreachable (kombu re-raises the transport's
# connection errors as its OperationalError), and what Django's Redis cache raises.
BROKER_ERRORS: tuple[type[Exception], ...] = (BrokerError,)
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
OUTAGE_ERRORS: tuple[type[Exception], ...] = BROKER_ERRORS + CACHE_ERRORS


def task_send(task: Any, *args: Any) -> bool:
    """``task.delay(*args)``; False (logged, not raised) when the broker is unreachable."""
    try:
        task.delay(*args)
    except BROKER_ERRORS as exc:
        logger.warning(
            "Could not queue %s (%s); the periodic sweep will send it again",
            getattr(task, "name", task),
            type(exc).__name__,
        )
        return False
    return True


def task_send_on_commit(task: Any, *args: Any, on_sent: Callable[[], None] | None = None) -> None:
    """Send ``task`` once the current transaction commits; ``on_sent`` runs if it was sent."""

    def send() -> None:
        if task_send(task, *args) and on_sent is not None:
            on_sent()

    transaction.on_commit(send)


def cache_best_effort(action: Callable[[], Any], *, what: str) -> None:
    """Run a cache write whose failure must not fail a request whose data is already saved."""
    try:
        action()
    except CACHE_ERRORS as exc:
        logger.warning("Cache unavailable (%s): %s skipped", type(exc).__name__, what)
