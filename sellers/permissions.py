from rest_framework.permissions import BasePermission


class IsAgencyAdmin(BasePermission):
    """The agency's admin, or ops staff."""

    message = "Only an agency admin may do this"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and (user.is_staff or user.role == "admin"))


class IsStaff(BasePermission):
    message = "Only ChirpWorks staff may do this"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff)


class GuestsOnlyIfAgencyAllows(BasePermission):
    """Guests need the agency's ``guests_can_search_answer`` setting; everyone else passes."""

    message = "Guests may not use this unless their agency allows it"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or user.role != "guest":
            return True
        return user.agency is not None and user.agency.setting_enabled("guests_can_search_answer")
