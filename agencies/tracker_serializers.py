from rest_framework import serializers

from agencies.models import TrackerSpeaker


class TrackerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    phrases = serializers.ListField(
        child=serializers.CharField(max_length=200), min_length=1, max_length=50
    )
    speaker = serializers.ChoiceField(choices=TrackerSpeaker.choices, default=TrackerSpeaker.ANY)


class TrackerUpdateSerializer(TrackerInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    phrases = serializers.ListField(
        child=serializers.CharField(max_length=200), min_length=1, max_length=50, required=False
    )
    speaker = serializers.ChoiceField(choices=TrackerSpeaker.choices, required=False)


class TrackerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    phrases = serializers.ListField(child=serializers.CharField())
    speaker = serializers.ChoiceField(choices=TrackerSpeaker.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TrackerListSerializer(serializers.Serializer):
    trackers = TrackerSerializer(many=True)
