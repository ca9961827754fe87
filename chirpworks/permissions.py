"""Permissions every app's views share; they read only ``request.user``'s agency and role."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsAgencyMember(BasePermission):
    message = "Only members of an agency may do this"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.agency_id)


class GuestsReadOnly(BasePermission):
    """Guests may log in and read their own data, never write."""

    message = "Guests have read-only access"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user) and (request.method in SAFE_METHODS or user.role != "guest")
