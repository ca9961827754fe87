from rest_framework import serializers

from chirpworks.timeframes import DateRangeQuerySerializer
from sellers.team_serializers import TeamMembersQuerySerializer


class AnalyticsQuerySerializer(TeamMembersQuerySerializer, DateRangeQuerySerializer):
    pass


class BucketSerializer(serializers.Serializer):
    outgoing_calls = serializers.IntegerField()
    incoming_calls = serializers.IntegerField()
    unique_leads_engaged = serializers.IntegerField()


DISCLOSURE_HELP = "Answered calls whose seller never said the call is recorded (IRDAI)."


class TotalDataSerializer(serializers.Serializer):
    total_outgoing_calls = serializers.IntegerField()
    total_incoming_calls = serializers.IntegerField()
    total_calls = serializers.IntegerField()
    unique_leads_engaged = serializers.IntegerField()
    calls_without_recording_disclosure = serializers.IntegerField(help_text=DISCLOSURE_HELP)


class CallSeriesSerializer(serializers.Serializer):
    sales_data = serializers.DictField(
        child=BucketSerializer(),
        help_text=(
            "hour0..hourN when the period spans at most 3 days, else day0..dayN; a time_frame's "
            "period is the whole week or month (buckets up to today)."
        ),
    )
    total_data = TotalDataSerializer()


class CallMetricsSerializer(serializers.Serializer):
    outgoing_calls = serializers.IntegerField()
    outgoing_calls_answered = serializers.IntegerField()
    outgoing_calls_unanswered = serializers.IntegerField()
    incoming_calls = serializers.IntegerField()
    incoming_calls_answered = serializers.IntegerField()
    incoming_calls_unanswered = serializers.IntegerField()
    total_calls = serializers.IntegerField()
    unique_leads_engaged = serializers.IntegerField()


class TeamMetricsSerializer(serializers.Serializer):
    total_calls_made = serializers.IntegerField()
    outgoing_calls = serializers.IntegerField()
    incoming_calls = serializers.IntegerField()
    leads_engaged = serializers.IntegerField()


class TeamSellerSerializer(serializers.Serializer):
    seller_id = serializers.UUIDField()
    seller_name = serializers.CharField()
    seller_phone = serializers.CharField(help_text="+91 XXXXXXXXXX")
    metrics = TeamMetricsSerializer()


class TeamCallDataSerializer(serializers.Serializer):
    seller_data = TeamSellerSerializer(many=True)


class SellerAnalyticsSerializer(CallMetricsSerializer):
    seller_id = serializers.UUIDField()
    seller_name = serializers.CharField()
    seller_phone = serializers.CharField(help_text="Raw format, 0091XXXXXXXXXX.")
    seller_email = serializers.EmailField()


class SellerCallAnalyticsSerializer(serializers.Serializer):
    seller_data = SellerAnalyticsSerializer(many=True)


class SellerSeriesSerializer(CallSeriesSerializer):
    seller_id = serializers.UUIDField()
    seller_name = serializers.CharField()
    seller_phone = serializers.CharField(help_text="Raw format, 0091XXXXXXXXXX.")
