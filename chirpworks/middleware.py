"""Middleware of our own (the request id one lives with logging)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
