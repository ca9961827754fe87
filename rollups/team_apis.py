from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from chirpworks.timeframes import DateRangeQuerySerializer, date_range_parse
from chirpworks.views import AgencyAPIView
from rollups.team_selectors import team_overview
from sellers.models import Role

DEFAULT_DAYS = 30
MAX_DAYS = 365


class TeamMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField(help_text="+91 XXXXXXXXXX")
    role = serializers.ChoiceField(choices=Role.choices)
    manager_id = serializers.UUIDField(allow_null=True)
    calls_count = serializers.IntegerField(help_text="All calls in the range, answered or not.")
    answered_calls_count = serializers.IntegerField()
    actions_count = serializers.IntegerField(help_text="Actions from calls in the range.")
    pending_actions_count = serializers.IntegerField(help_text="Every pending action.")


class TeamOutputSerializer(serializers.Serializer):
    manager_id = serializers.UUIDField()
    date_range = serializers.DictField(child=serializers.DateField())
    team = TeamMemberSerializer(many=True)
    total_count = serializers.IntegerField()


class TeamApi(AgencyAPIView):
    """A manager's team (an admin's agency) with each member's counts; default last 30 days."""

    @extend_schema(
        tags=["user"],
        parameters=[DateRangeQuerySerializer],
        responses={
            200: TeamOutputSerializer,
            400: OpenApiResponse(description="Invalid input: {error, code}"),
            401: OpenApiResponse(description="Not authenticated: {error, code, msg}"),
            403: OpenApiResponse(description="Not a manager: {error, code}"),
        },
    )
    def get(self, request: Request) -> Response:
        date_range = date_range_parse(
            request.query_params,
            tz=request.user.agency.tzinfo,
            max_days=MAX_DAYS,
            default=DEFAULT_DAYS,
        )
        team = team_overview(actor=request.user, date_range=date_range)
        body = {
            "manager_id": request.user.pk,
            "date_range": {"start_date": date_range.start_date, "end_date": date_range.end_date},
            "team": team,
            "total_count": len(team),
        }
        return Response(TeamOutputSerializer(body).data)
