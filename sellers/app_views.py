"""The base of the app's read/edit views: agency members only, guests read-only, agency time.

Datetimes in responses are shown in the caller's agency timezone (``+05:30`` for Asia/Kolkata),
as the old backend showed IST.
"""

from django.utils import timezone
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from sellers.permissions import GuestsReadOnly


class IsAgencyMember(BasePermission):
    message = "Only members of an agency may do this"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.agency_id)


class AgencyAPIView(APIView):
    permission_classes = [IsAuthenticated, IsAgencyMember, GuestsReadOnly]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        timezone.activate(request.user.agency.tzinfo)

    def finalize_response(self, request, response, *args, **kwargs):
        timezone.deactivate()
        return super().finalize_response(request, response, *args, **kwargs)
