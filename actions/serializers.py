from rest_framework import serializers

from actions.models import ActionStatus
from chirpworks.pagination import PageParamsSerializer, PaginationSerializer
from chirpworks.timeframes import BoundedDateTimeField
from sellers.team_serializers import TeamMembersQuerySerializer


class LowerChoiceField(serializers.ChoiceField):
    """Status values are matched case-insensitively, as the old backend did."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.lower() if isinstance(data, str) else data)


class ActionListQuerySerializer(TeamMembersQuerySerializer, PageParamsSerializer):
    status = LowerChoiceField(choices=ActionStatus.choices, required=False)
    meeting_id = serializers.UUIDField(required=False)


class ActionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    due_date = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    description = serializers.JSONField(help_text='Usually {"text": ...}.')
    meeting_id = serializers.UUIDField()
    meeting_title = serializers.CharField()
    meeting_buyer_number = serializers.CharField(allow_null=True, help_text="+91 XXXXXXXXXX")
    meeting_buyer_name = serializers.CharField(allow_null=True)
    meeting_seller_name = serializers.CharField()
    reasoning = serializers.CharField(allow_blank=True)
    signals = serializers.JSONField()
    created_at = serializers.DateTimeField()
    buyer_id = serializers.UUIDField()
    buyer_name = serializers.CharField(allow_null=True)
    buyer_phone = serializers.CharField(allow_null=True, help_text="Raw format, 0091XXXXXXXXXX.")
    buyer_company_name = serializers.CharField(allow_null=True)


class ActionListOutputSerializer(serializers.Serializer):
    actions = ActionSerializer(many=True)
    total_count = serializers.IntegerField()
    filtered_by_status = serializers.CharField(allow_null=True)
    filtered_by_meeting = serializers.UUIDField(allow_null=True)
    pagination = PaginationSerializer(required=False, help_text="Only with page or limit.")


class ActionStatusItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = LowerChoiceField(choices=ActionStatus.choices)


class ActionUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.JSONField(required=False, help_text='Text, or {"text": ...}.')
    due_date = BoundedDateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(f"Invalid fields: {', '.join(sorted(unknown))}")
        if not attrs:
            raise serializers.ValidationError("Nothing to update")
        description = attrs.get("description")
        if "description" in attrs and not isinstance(description, str | dict):
            raise serializers.ValidationError({"description": "Must be a text or an object"})
        return attrs
