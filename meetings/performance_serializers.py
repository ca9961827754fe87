from rest_framework import serializers

from chirpworks.pagination import PageParamsSerializer, PaginationSerializer
from chirpworks.timeframes import DateRangeQuerySerializer
from meetings.models import PERFORMANCE_METRICS, ScoreReviewStatus
from meetings.serializers import MetricSerializer, PerformanceSerializer


class CallMetricsOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    performance = PerformanceSerializer()


class UserInfoSerializer(serializers.Serializer):
    user_id = serializers.UUIDField(source="pk")
    name = serializers.CharField()
    email = serializers.EmailField()


class DateRangeOutputSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()


def _averages_serializer(name: str, *, with_count: bool) -> type[serializers.Serializer]:
    fields = {
        metric: serializers.FloatField(allow_null=True)
        for metric in (*PERFORMANCE_METRICS, "overall_score")
    }
    if with_count:
        fields["calls_count"] = serializers.IntegerField()
    return type(name, (serializers.Serializer,), fields)


DayAveragesSerializer = _averages_serializer("DayAveragesSerializer", with_count=True)
PeriodAveragesSerializer = _averages_serializer("PeriodAveragesSerializer", with_count=False)


class PeriodSummarySerializer(serializers.Serializer):
    total_calls = serializers.IntegerField()
    days_with_data = serializers.IntegerField()
    days_in_range = serializers.IntegerField()
    overall_averages = PeriodAveragesSerializer()


class UserMetricsOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    user_info = UserInfoSerializer()
    date_range = DateRangeOutputSerializer()
    daily_metrics = serializers.DictField(
        child=DayAveragesSerializer(allow_null=True), help_text="By YYYY-MM-DD; null: no calls."
    )
    period_summary = PeriodSummarySerializer()


class UserCallsQuerySerializer(DateRangeQuerySerializer, PageParamsSerializer):
    pass


class UserCallSerializer(serializers.Serializer):
    meeting_id = serializers.UUIDField()
    call_title = serializers.CharField()
    buyer_name = serializers.CharField(allow_null=True)
    buyer_phone = serializers.CharField(help_text="Raw format, 0091XXXXXXXXXX.")
    call_start_time = serializers.DateTimeField()
    duration_minutes = serializers.FloatField()
    detected_products = serializers.JSONField()
    overall_score = serializers.FloatField(allow_null=True)
    analyzed_at = serializers.DateTimeField()
    metrics = serializers.DictField(child=MetricSerializer())  # scores as call_data's: floats
    analysis = serializers.DictField(child=serializers.JSONField())


class UserCallsOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    user_info = UserInfoSerializer()
    date_range = DateRangeOutputSerializer()
    calls = UserCallSerializer(many=True)
    total_calls = serializers.IntegerField()
    pagination = PaginationSerializer(required=False, help_text="Only with page or limit.")


class ScoreReviewInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ScoreReviewStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ScoreReviewOutputSerializer(serializers.Serializer):
    meeting_id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ScoreReviewStatus.choices)
    comment = serializers.CharField(allow_blank=True)
    reviewed_at = serializers.DateTimeField()


class MetricOverrideInputSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=PERFORMANCE_METRICS)
    score = serializers.FloatField(min_value=0, max_value=10)
    reason = serializers.CharField(max_length=2000)
