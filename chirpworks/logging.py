"""Structured logging: a request id on every request's lines, the task and job id on every task's.

``LogContextFilter`` copies the current context (request id, task id, job id) onto each record and
scrubs its message. The formatters (``ScrubbingFormatter``, ``ScrubbingJsonFormatter``) scrub
every field of every record on its way out (message, arguments, extra fields such as Django's
``request``, exception text): phone numbers (also URL-encoded), emails, JWTs, passwords, keys,
tokens and URL credentials never reach a log line. ``scrub`` and ``find_leaks`` are for reuse
(log scans, drills).
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse
from django_guid import get_guid, set_guid
from django_guid.log_filters import CorrelationId
from pythonjsonlogger.json import JsonFormatter

from chirpworks.redaction import pii_find, pii_redact

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "log_context", default=None
)

CONTEXT_FIELDS = ("request_id", "task_id", "job_id")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Names whose value is a secret wherever they appear: `key=…` in a query string, `"token": …` in
# JSON, `password: …` in a message.
_SECRET_WORD = re.compile(
    r"(?i)password|passwd|pwd|secret|token|api[_-]?key|apikey|key|signature|credential"
    r"|authorization"
)
# A name, its `=` or `:`, its value (one linear pass: names start at word boundaries).
_NAME_VALUE = re.compile(r"\b([\w-]+)([\"']?\s*[=:]\s*[\"']?)(?!\[)([^\s&'\",;)}\]]+)")


def _secret_value(match: re.Match) -> str:
    name, separator, value = match.groups()
    if _SECRET_WORD.search(name):
        return f"{name}{separator}[redacted]"
    # Not a secret's name ("https:"): its value may still hold one ("…?key=…").
    return f"{name}{separator}{_NAME_VALUE.sub(_secret_value, value)}"


_SCRUBBERS = (
    (re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"), r"\1[credentials]@"),
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "[token]"),
    (re.compile(r"(?i)\b(basic|bearer)\s+(?!\[)[A-Za-z0-9+/=._~-]{8,}"), r"\1 [redacted]"),
    (_NAME_VALUE, _secret_value),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[email]"),
)
_PHONE = re.compile(r"(?<![\w.:-])(?:\+|00)?\d(?:[ -]?\d){9,13}(?![\w.:-])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _phone(match: re.Match) -> str:
    return match.group() if _DATE.match(match.group()) else "[phone]"


# Identity and payment numbers, checksums checked (chirpworks.redaction); phones are ours above.
_LOG_PII = frozenset({"AADHAAR", "CARD", "PAN", "IFSC"})


def _scrub_plain(text: str) -> str:
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return _PHONE.sub(_phone, pii_redact(text, only=_LOG_PII))


def scrub(text: str) -> str:
    """``text`` without phone numbers, emails, JWTs, passwords, keys, tokens or URL credentials.

    URL-encoded text (a query string: ``CallFrom=%2B9198…``, ``a%40b.com``) is decoded and
    scrubbed as well; the decoded form is kept only when it held something to remove.
    """
    cleaned = _scrub_plain(text)
    decoded = cleaned
    for _ in range(3):  # also twice-encoded values
        if not _ESCAPE.search(decoded):
            break
        decoded = unquote_plus(decoded)
    if decoded != cleaned:
        scrubbed = _scrub_plain(decoded)
        if scrubbed != decoded:
            return scrubbed
    return cleaned


def find_leaks(text: str) -> list[str]:
    """The pieces of ``text`` that ``scrub`` would remove (for log scans: empty means clean)."""
    leaks: list[str] = []
    layers = [text]
    for _ in range(3):
        layers.append(unquote_plus(layers[-1]))
    for candidate in dict.fromkeys(layers):
        for pattern, replacement in _SCRUBBERS:
            for match in pattern.finditer(candidate):
                if "[" in match.group():
                    continue
                if callable(replacement):
                    if replacement(match) != match.group():
                        leaks.append(match.group(3) if match.re is _NAME_VALUE else match.group())
                    continue
                leaks.append(match.group())
        leaks += [m.group() for m in _PHONE.finditer(candidate) if not _DATE.match(m.group())]
        leaks += [candidate[start:end] for start, end, _ in pii_find(candidate, only=_LOG_PII)]
    return list(dict.fromkeys(leaks))


def scrub_value(value: Any, *, name: str = "") -> Any:
    """Any log field, scrubbed: strings, containers (recursively), requests, other objects.

    A field named like a secret (``password``, ``token``, ``api_key``…) loses its value whole.
    A request is logged as its method and path, never its query string or headers.
    """
    if value is None:
        return value
    if name and _SECRET_WORD.search(name):
        return "[redacted]"
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v, name=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub_value(v) for v in value]
    if isinstance(value, HttpRequest):
        return scrub(f"{value.method} {value.path}")
    return scrub(str(value))


class ScrubbingFormatter(logging.Formatter):
    """The plain formatter, with every finished line scrubbed (whatever field put it there)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))

    def formatException(self, ei) -> str:
        return scrub(super().formatException(ei))


class ScrubbingJsonFormatter(JsonFormatter):
    """JSON lines with every field scrubbed: message, extras, request, exception, stack."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: scrub_value(value, name=key) for key, value in log_data.items()}


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
