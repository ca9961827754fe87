"""One error shape for the whole API: ``{"error": "<message>", "code": "<machine_code>"}``.

Services raise ``ApplicationError`` (or one of its subclasses); DRF and Django exceptions are
mapped here too, so a view never builds an error response by hand. Token failures also carry
``msg``, the key the old mobile clients read.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from chirpworks.outages import OUTAGE_ERRORS

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "forbidden"


class AuthenticationError(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"


THROTTLED_MESSAGE = "Too many requests; try again later"


class TooManyRequestsError(ApplicationError):
    """429 raised by a service (the per-account sign-in lockout): a throttle's body and header."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

    def __init__(self, *, wait: int) -> None:
        super().__init__(THROTTLED_MESSAGE, extra={"retry_after": wait})
        self.wait = wait


class BudgetThrottled(exceptions.Throttled):
    """429 of a throttle whose budget the contract shows: ``{error, code, rate_limit}``."""

    default_detail = "Rate limit exceeded. Try again later."
    default_code = "RATE_LIMIT_EXCEEDED"

    def __init__(self, *, wait: float, rate_limit: dict[str, Any]) -> None:
        super().__init__(wait=wait)
        self.rate_limit = rate_limit


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "code": code, **extra}


def first_error_message(detail: Any) -> str:
    """The first human message of a DRF error detail (``serializer.errors``, ``exc.detail``),
    prefixed with its field name unless that is ``non_field_errors`` or ``detail``."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = first_error_message(value)
            if field in ("non_field_errors", "detail"):
                return message
            return f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return first_error_message(detail[0])
    return str(detail)


def _as_plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _as_plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_as_plain(value) for value in detail]
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    from rest_framework.views import set_rollback  # imported late: it loads the DRF settings

    set_rollback()
    headers: dict[str, str] = {}

    if isinstance(exc, ApplicationError):
        body = error_body(exc.message, exc.code, **exc.extra)
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            body["msg"] = exc.message
        if isinstance(exc, TooManyRequestsError):
            headers["Retry-After"] = str(exc.wait)
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, OUTAGE_ERRORS):  # Redis (cache, throttles) or the broker is down
        logger.warning("Service unavailable: %s", type(exc).__name__)
        return Response(
            error_body(
                "A service ChirpWorks depends on is unavailable; try again shortly",
                "service_unavailable",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("The request body is too large", "payload_too_large"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent):
        return Response(
            error_body("The request has too many fields", "payload_too_large"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )

    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return Response(
            error_body("Internal server error", "server_error"),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        body = error_body(first_error_message(exc.detail), "invalid", details=_as_plain(exc.detail))
    elif isinstance(exc, BudgetThrottled):
        body = error_body(str(exc.default_detail), exc.default_code, rate_limit=exc.rate_limit)
    elif isinstance(exc, exceptions.Throttled):
        body = error_body(THROTTLED_MESSAGE, "rate_limited", retry_after=exc.wait)
    else:
        code = exc.get_codes()
        if isinstance(exc.detail, dict) and "code" in exc.detail:  # simplejwt's detail dicts
            code = str(exc.detail["code"])
        elif not isinstance(code, str):
            code = exc.default_code
        body = error_body(first_error_message(exc.detail), code)

    if exc.status_code == status.HTTP_401_UNAUTHORIZED:
        body["msg"] = body["error"]
    return Response(body, status=exc.status_code, headers=headers)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("Not found", "not_found"), status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("Internal server error", "server_error"), status=500)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("Bad request", "bad_request"), status=400)


def json_permission_denied(
    request: HttpRequest, exception: Exception | None = None
) -> JsonResponse:
    return JsonResponse(error_body("Forbidden", "forbidden"), status=403)
