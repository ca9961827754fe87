"""Structured logging: a request id on every request's lines, the task and job id on every task's.

``LogContextFilter`` copies the current context (request id, task id, job id) onto each record and
scrubs phone numbers, JWTs and passwords from the message, so a log line never carries them.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.http import HttpRequest, HttpResponse
from django_guid import get_guid, set_guid
from django_guid.log_filters import CorrelationId

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "log_context", default=None
)

CONTEXT_FIELDS = ("request_id", "task_id", "job_id")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SCRUBBERS = (
    (re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"), r"\1[credentials]@"),
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "[token]"),
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|api_key|key)(\s*[=:]\s*)(\S+)"),
        r"\1\2[redacted]",
    ),
)
_PHONE = re.compile(r"(?<![\w.:-])(?:\+|00)?\d(?:[ -]?\d){9,13}(?![\w.:-])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match) -> str:
    return match.group() if _DATE.match(match.group()) else "[phone]"


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return _PHONE.sub(_phone, text)


@contextmanager
def log_context(**values: str) -> Iterator[None]:
    """Add ``values`` (e.g. ``job_id``) to every log line inside the block."""
    token = _context.set({**(_context.get() or {}), **{k: str(v) for k, v in values.items()}})
    try:
        yield
    finally:
        _context.reset(token)


class LogContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for field in CONTEXT_FIELDS:
            setattr(record, field, context.get(field, "-"))
        message = scrub(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


class RequestIdMiddleware:
    """Tag the request's log lines with an id (the caller's ``X-Request-ID`` if it is sane).

    The id is django-guid's: it stays set until the next request (so Django's own "Not Found" and
    "Forbidden" lines, written after the middleware, carry it) and its Celery integration sends it
    with every task the request enqueues.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        set_guid(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def bind_task_context(task_id: str, job_id: str | None = None) -> contextvars.Token:
    values = {"task_id": task_id}
    if job_id:
        values["job_id"] = job_id
    return _context.set({**(_context.get() or {}), **values})


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


class RequestIdFilter(CorrelationId):
    """``record.request_id``: the id of the request, or of the request that enqueued the task."""

    def __init__(self) -> None:
        super().__init__(correlation_id_field="request_id")

    def filter(self, record: logging.LogRecord) -> bool:
        guid = get_guid()
        if guid:
            record.request_id = guid
        elif not getattr(record, "request_id", None):
            record.request_id = "-"
        return True


class ClientErrorTracebackFilter(logging.Filter):
    """Drop the traceback of ``django.request``'s 4xx lines (a PermissionDenied, an Http404)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True
