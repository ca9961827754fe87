from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import TrackerSpeaker
from chirpworks.schema import ERRORS
from chirpworks.timeframes import DateRangeQuerySerializer, date_range_parse
from chirpworks.views import AgencyAPIView
from meetings.selectors import meeting_get_visible
from meetings.trackers import meeting_tracker_hits, tracker_hits_summary
from sellers.access_selectors import scope_team, scope_visible
from sellers.team_serializers import TeamMembersQuerySerializer


class TrackerHitsQuerySerializer(TeamMembersQuerySerializer, DateRangeQuerySerializer):
    speaker = serializers.ChoiceField(choices=TrackerSpeaker.choices, required=False)
    tracker_id = serializers.UUIDField(required=False)
    meeting_id = serializers.UUIDField(required=False, help_text="One call's hits, one by one.")


class TrackerHitSummarySerializer(serializers.Serializer):
    tracker_id = serializers.UUIDField()
    name = serializers.CharField()
    speaker = serializers.CharField()
    hits = serializers.IntegerField()
    calls = serializers.IntegerField()
    by_speaker = serializers.DictField(child=serializers.IntegerField())


class TrackerHitSerializer(serializers.Serializer):
    tracker_id = serializers.UUIDField()
    tracker = serializers.CharField()
    phrase = serializers.CharField()
    speaker = serializers.CharField()
    start = serializers.FloatField(allow_null=True)
    text = serializers.CharField()


class TrackerHitsOutputSerializer(serializers.Serializer):
    trackers = TrackerHitSummarySerializer(many=True, required=False)
    hits = TrackerHitSerializer(many=True, required=False)


class TrackerHitsApi(AgencyAPIView):
    """Tracker hits in a period (default the last 30 days) for the sellers the caller may see,
    by who said them; with ``meeting_id``, that call's hits one by one."""

    @extend_schema(
        tags=["agency"],
        parameters=[TrackerHitsQuerySerializer],
        responses={200: TrackerHitsOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = TrackerHitsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data.get("meeting_id"):
            meeting = meeting_get_visible(actor=request.user, meeting_id=data["meeting_id"])
            return Response(
                TrackerHitsOutputSerializer({"hits": meeting_tracker_hits(meeting=meeting)}).data
            )
        team = data.get("team_member_ids")
        scope = (
            scope_team(actor=request.user, team_member_ids=team)
            if team
            else scope_visible(actor=request.user)
        )
        date_range = date_range_parse(
            request.query_params,
            tz=request.user.agency.tzinfo,
            max_days=366,
            default_days_back=30,
            default=30,
        )
        rows = tracker_hits_summary(
            scope=scope,
            date_range=date_range,
            speaker=data.get("speaker"),
            tracker_id=data.get("tracker_id"),
        )
        return Response(TrackerHitsOutputSerializer({"trackers": rows}).data)
