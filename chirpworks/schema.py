"""OpenAPI post-processing: every operation documents the error answers it can really give.

Every error leaves through one exception handler in one shape (``chirpworks.exceptions``), and
some come from layers no view declares: authentication (401), roles (403), an unknown or another
agency's id (404), the body-size guard (413), the parsers (400, 415), throttles (429) and an
unavailable Redis or broker (503). A view's own description of a status is kept; the body schema
is added where the view gave none.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.utils import OpenApiResponse

ERROR_SCHEMA = {
    "type": "object",
    "description": "The API's one error shape; token failures also carry msg.",
    "properties": {
        "error": {"type": "string"},
        "code": {"type": "string"},
        "msg": {"type": "string"},
        "details": {},
        "retry_after": {"type": "number", "nullable": True},
    },
    "required": ["error", "code"],
}

COMMON_ERRORS = {
    "400": "Invalid input: {error, code}",
    "401": "Not authenticated: {error, code, msg}",
    "403": "Not allowed: {error, code}",
    "404": "Not found, or another agency's: {error, code}",
    "405": "Method not allowed: {error, code}",
    "413": "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE: {error, code}",
    "415": "Unsupported media type: {error, code}",
    "429": "Throttled: {error, code, retry_after}",
    "503": "A service ChirpWorks depends on (Redis, the broker) is down: {error, code}",
}
# What a view's ``responses`` say of its errors; ``error_responses`` narrows or rewords them.
ERROR_DESCRIPTIONS = {
    400: "Invalid input: {error, code}",
    401: "Not authenticated: {error, code, msg}",
    403: "Not allowed: {error, code}",
    404: "Not found (or another agency's): {error, code}",
}


def error_responses(
    *, statuses: Iterable[int] = (400, 401, 403, 404), described: Mapping[int, str] | None = None
) -> dict[int, OpenApiResponse]:
    """The error answers a view declares: the usual words, or the view's own where it has them."""
    described = described or {}
    return {
        status: OpenApiResponse(description=described.get(status) or ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


ERRORS = error_responses()
ERROR_REF = {"$ref": "#/components/schemas/Error"}
METHODS = {"get", "put", "post", "patch", "delete"}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in COMMON_ERRORS.items():
                if status == "503" and path.startswith("/api/health"):
                    continue  # health declares its own 503 body
                response = responses.setdefault(status, {"description": description})
                if "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result
