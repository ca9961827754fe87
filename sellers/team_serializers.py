from rest_framework import serializers

from chirpworks.query_params import StrictQuerySerializer


class UUIDListField(serializers.ListField):
    """A repeatable query parameter (``?id=a&id=b``) that also accepts ``?id=a,b``."""

    child = serializers.UUIDField()

    def to_internal_value(self, data):
        values = [data] if isinstance(data, str) else list(data)
        flat = [part.strip() for value in values for part in str(value).split(",") if part.strip()]
        return super().to_internal_value(flat)


class TeamMembersQuerySerializer(StrictQuerySerializer):
    team_member_ids = UUIDListField(
        required=False, help_text="Repeatable; sellers of the caller's team (managers, admins)."
    )
