"""Service-token access for external processing workers (``WORKER_SERVICE_TOKEN``).

The token is sent as ``Authorization: Bearer <token>`` or ``X-Service-Token: <token>`` and
compared in constant time. With no token configured the worker endpoints refuse every call.
"""

import hmac

from django.conf import settings
from django.http import HttpRequest
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from chirpworks.exceptions import AuthenticationError, ForbiddenError


def request_service_token(request: HttpRequest | Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-Service-Token", "").strip()


def request_has_service_token(request: HttpRequest) -> bool:
    """The request carries the configured service token (so it comes from a processing worker)."""
    expected = settings.WORKER_SERVICE_TOKEN
    given = request_service_token(request)
    return bool(expected and given and hmac.compare_digest(given.encode(), expected.encode()))


class HasWorkerServiceToken(BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        expected = settings.WORKER_SERVICE_TOKEN
        if not expected:
            raise ForbiddenError(
                "Worker endpoints are disabled: no service token is configured",
                code="worker_api_disabled",
            )
        given = request_service_token(request)
        if not given:
            raise AuthenticationError("Service token required", code="service_token_missing")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise AuthenticationError("Invalid service token", code="service_token_invalid")
        return True


class WorkerPrincipal:
    """A processing worker, authenticated by the service token."""

    is_authenticated = True
    is_staff = False
    role = "worker"
    agency_id = None
    pk = None


class WorkerServiceTokenAuthentication(BaseAuthentication):
    """Authenticates the service token, on worker views whose path also serves the app (routed by
    ``chirpworks.routing.view_dispatch`` only when the token is presented)."""

    def authenticate(self, request: Request):
        if request_has_service_token(request):
            return WorkerPrincipal(), None
        return None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # so a failed token answers 401, not 403
