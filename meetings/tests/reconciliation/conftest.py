"""Fixtures and helpers for the reconciliation tests: the calls' own fixtures, re-exported."""

from calls.tests.conftest import (  # noqa: F401  (pytest finds fixtures by name here)
    enqueued_jobs,
    make_app_call,
    make_exotel_call,
    recording_server,
)
from meetings.reconciliation.services import calls_reconcile


def reconcile(capture, **kwargs):
    """``calls_reconcile`` with its on-commit callbacks run (the jobs it queues, the indexing)."""
    with capture(execute=True):
        return calls_reconcile(**kwargs)
