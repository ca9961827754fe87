"""The request id reaches the Celery tasks a request enqueues (django-guid's integration)."""

import logging
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import before_task_publish
from django.http import HttpResponse
from django.test import RequestFactory

from chirpworks.celery import app
from chirpworks.logging import LogContextFilter, RequestIdFilter, RequestIdMiddleware

logger = logging.getLogger("chirpworks.tests.tasks")
seen: dict[str, str] = {}
ran = threading.Event()


@app.task(name="chirpworks.tests.log_a_line")
def log_a_line() -> None:
    logger.info("inside the task")
    ran.set()


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(LogContextFilter())
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def queued(monkeypatch):
    """Tasks go to the in-memory broker instead of running eagerly."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    headers: list[dict] = []

    def keep(headers_=None, **kwargs):
        headers.append(dict(kwargs.get("headers") or headers_ or {}))

    before_task_publish.connect(keep, weak=False)
    yield headers
    before_task_publish.disconnect(keep)


def _request_that_enqueues(request_id: str = "") -> HttpResponse:
    def view(request):
        logger.info("inside the request")
        log_a_line.delay()
        return HttpResponse("queued")

    extra = {"HTTP_X_REQUEST_ID": request_id} if request_id else {}
    return RequestIdMiddleware(view)(RequestFactory().get("/anything", **extra))


def test_an_enqueued_task_carries_the_request_id(queued):
    response = _request_that_enqueues()
    assert queued and queued[-1]["X-Request-ID"] == response["X-Request-ID"]


@pytest.mark.django_db(transaction=True)
def test_the_workers_lines_for_the_task_carry_the_request_id(queued):
    collect = Collect()
    logger.addHandler(collect)
    logger.setLevel(logging.INFO)
    ran.clear()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            response = _request_that_enqueues("req-from-the-app-42")
            assert ran.wait(timeout=30)
    finally:
        logger.removeHandler(collect)
    assert response["X-Request-ID"] == "req-from-the-app-42"
    lines = {r.getMessage(): r for r in collect.records}
    assert lines["inside the request"].request_id == "req-from-the-app-42"
    task_line = lines["inside the task"]
    assert task_line.request_id == "req-from-the-app-42"
    assert task_line.threadName != lines["inside the request"].threadName  # the worker's thread
    assert task_line.task_id != "-"
