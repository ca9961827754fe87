"""The project's own views (hello, health) and ``AgencyAPIView``, the base of every app's views."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chirpworks.health import health_report
from chirpworks.permissions import GuestsReadOnly, IsAgencyMember


# No docstring: drf-spectacular would show a base class's docstring on every subclass.
# Agency members only, guests read-only; responses show datetimes in the caller's agency timezone
# (``+05:30`` for Asia/Kolkata), as the old backend showed IST.
class AgencyAPIView(APIView):
    permission_classes = [IsAuthenticated, IsAgencyMember, GuestsReadOnly]
    pagination_class: type[BasePagination] | None = None

    @property
    def paginator(self) -> BasePagination | None:
        """The view's ``pagination_class`` instance, as ``GenericAPIView`` has it."""
        if not hasattr(self, "_paginator"):
            self._paginator = self.pagination_class() if self.pagination_class else None
        return self._paginator

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        timezone.activate(request.user.agency.tzinfo)

    def finalize_response(self, request, response, *args, **kwargs):
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)


class HelloApi(APIView):
    """Liveness for old monitors."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["health"],
        responses={200: inline_serializer("Hello", {"message": serializers.CharField()})},
    )
    def get(self, request: Request) -> Response:
        return Response({"message": "Hello, World!"})


class HealthApi(APIView):
    """Database, cache, broker, workers, job queue and storage; 503 when any of them fails."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["health"],
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
            (503, "application/json"): inline_serializer(
                "Unhealthy",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
        },
    )
    def get(self, request: Request) -> Response:
        healthy, report = health_report()
        return Response(report, status=200 if healthy else 503)
