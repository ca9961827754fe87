from rest_framework import serializers

from chirpworks.pagination import PageParamsSerializer, PaginationSerializer
from insights.leaderboard import SORT_KEYS
from insights.models import WarningKind
from sellers.team_serializers import TeamMembersQuerySerializer


class InsightQuerySerializer(TeamMembersQuerySerializer, PageParamsSerializer):
    pass


class WarningQuerySerializer(InsightQuerySerializer):
    kind = serializers.ChoiceField(choices=WarningKind.choices, required=False)
    seller_id = serializers.UUIDField(required=False)


class EvidenceField(serializers.DictField):
    """Ids (meeting, action, app calls), the quote that signalled it and its date."""


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    points = serializers.FloatField()
    evidence = EvidenceField()


class NextActionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    due_date = serializers.DateTimeField(allow_null=True)


class CallNextItemSerializer(serializers.Serializer):
    buyer_id = serializers.UUIDField()
    buyer_name = serializers.CharField(allow_null=True)
    buyer_phone = serializers.CharField()
    seller_id = serializers.UUIDField()
    score = serializers.FloatField()
    reasons = ReasonSerializer(many=True)
    next_action = NextActionSerializer(allow_null=True)
    deal_stage = serializers.CharField(allow_null=True)
    last_contacted_at = serializers.DateTimeField(allow_null=True)
    computed_at = serializers.DateTimeField()


class CallNextOutputSerializer(serializers.Serializer):
    data = CallNextItemSerializer(many=True)
    pagination = PaginationSerializer()


class WarningItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    buyer_id = serializers.UUIDField()
    buyer_name = serializers.CharField(allow_null=True)
    seller_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=WarningKind.choices)
    since = serializers.DateTimeField()
    detail = serializers.CharField()
    evidence = EvidenceField()


class WarningOutputSerializer(serializers.Serializer):
    data = WarningItemSerializer(many=True)
    pagination = PaginationSerializer()


class LeaderboardQuerySerializer(TeamMembersQuerySerializer):
    sort = serializers.ChoiceField(
        choices=list(SORT_KEYS),
        default="avg_call_score",
        help_text="What ranks the sellers (warnings_open: fewest first).",
    )


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    seller_id = serializers.UUIDField()
    seller_name = serializers.CharField()
    calls = serializers.IntegerField()
    answered_calls = serializers.IntegerField()
    talk_time_seconds = serializers.IntegerField()
    avg_call_score = serializers.FloatField(allow_null=True)
    previous_avg_call_score = serializers.FloatField(
        allow_null=True, help_text="The same length of time just before the period."
    )
    score_trend = serializers.FloatField(allow_null=True)
    actions_completed = serializers.IntegerField()
    actions_completed_on_time = serializers.IntegerField()
    buyers_moved_forward = serializers.IntegerField()
    warnings_open = serializers.IntegerField()


class LeaderboardOutputSerializer(serializers.Serializer):
    sort = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    sellers = LeaderboardRowSerializer(many=True)
