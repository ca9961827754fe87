"""Middleware of our own (the request id one lives with logging)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from chirpworks.exceptions import error_body
from chirpworks.parsers import unstorable_text


class ReleaseRenderedDataMiddleware:
    """Drop a DRF response's data once it is rendered into bytes.

    DRF's view, request and response reference one another, so a response's ``data`` lives
    until the cyclic garbage collector reaches that cycle, in some later request, often several
    responses at a time: a list of thousands of rows then costs a later request tens of
    milliseconds to free. Nothing reads ``data`` after rendering; released here, it is freed at
    once by reference counting.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "is_rendered", False) and hasattr(response, "data"):
            response.data = None
        return response


class ApiInputGuardMiddleware:
    """Refuse, on /api/ paths, input that would otherwise surface as a 500 deep inside a view.

    - A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (by its Content-Length): 413 JSON, before
      anything reads it. Django would raise ``RequestDataTooBig`` wherever the body is first read.
    - A query parameter with a NUL character (``?status=%00``), which PostgreSQL cannot compare:
      400 JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                error_body("Content-Length is not a number", "bad_request"), status=400
            )
        if limit is not None and length > limit:
            return JsonResponse(
                error_body(f"The request body is larger than {limit} bytes", "payload_too_large"),
                status=413,
            )
        for key, values in request.GET.lists():
            if any(unstorable_text(value) for value in [key, *values]):
                return JsonResponse(
                    error_body(
                        f"{key}: text may not contain NUL characters or unpaired surrogates",
                        "invalid",
                    ),
                    status=400,
                )
        return None
