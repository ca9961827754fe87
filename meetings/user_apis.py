"""``GET /api/user/get_user``: the caller's profile with last week's call performance (the
performance is the meetings', so the view lives here, not in sellers)."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chirpworks.phones import phone_denorm
from chirpworks.schema import error_responses
from meetings.performance_selectors import performance_summary
from sellers.serializers import UserOutputSerializer


class GetUserApi(APIView):
    @extend_schema(
        tags=["user"], responses={200: UserOutputSerializer, **error_responses(statuses=(400, 401))}
    )
    def get(self, request: Request) -> Response:
        seller = request.user
        body = {
            "id": seller.pk,
            "username": seller.username,
            "email": seller.email,
            "phone": phone_denorm(seller.phone),
            "role": seller.role,
            "name": seller.name,
            "agency_id": seller.agency_id,
            "agency_name": seller.agency.name if seller.agency else None,
            "manager_id": seller.manager_id,
            "last_week_performance_analysis": performance_summary(seller=seller, days=7),
        }
        return Response(UserOutputSerializer(body).data)
