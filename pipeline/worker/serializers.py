"""Input and output serializers of the worker endpoints (contract §2.3, §2.5, §2.6, §2.11)."""

import json
from datetime import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chirpworks.timeframes import BoundedDateTimeField
from meetings.models import PERFORMANCE_METRICS, JobStatus

VALID_STATUSES = ", ".join(JobStatus.values)


class SegmentSerializer(serializers.Serializer):
    speaker = serializers.CharField(max_length=100, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=["seller", "buyer", "unknown"], default="unknown")
    text = serializers.CharField(allow_blank=True)
    translation = serializers.CharField(allow_blank=True, allow_null=True, default=None)
    confidence = serializers.FloatField(min_value=0, max_value=1, allow_null=True, default=None)
    start = serializers.FloatField(min_value=0, allow_null=True, default=None)
    end = serializers.FloatField(min_value=0, allow_null=True, default=None)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "JSON-encoded list of segments"},
            {"type": "array", "items": {"type": "object"}},
        ]
    }
)
class TranscriptionField(serializers.Field):
    """The contract sends the transcript as a JSON *string*; a JSON list is accepted too."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise serializers.ValidationError("transcription is not valid JSON") from exc
        if not isinstance(data, list):
            raise serializers.ValidationError("transcription must be a list of segments")
        segments = SegmentSerializer(data=data, many=True)
        segments.is_valid(raise_exception=True)
        return [dict(item) for item in segments.validated_data]

    def to_representation(self, value):
        return value


class TranscriptionInputSerializer(serializers.Serializer):
    transcription = TranscriptionField()


class JobIdInputSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()


class UpdateStatusInputSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=JobStatus.choices,
        error_messages={"invalid_choice": f"status must be one of: {VALID_STATUSES}"},
    )
    error = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class JobStatusOutputSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    meeting_id = serializers.UUIDField(required=False)
    status = serializers.CharField()
    start_time = serializers.DateTimeField(allow_null=True)
    end_time = serializers.DateTimeField(allow_null=True)
    s3_audio_url = serializers.CharField(allow_null=True, required=False)


class UpdateStatusOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    job_id = serializers.UUIDField()
    status = serializers.CharField()
    start_time = serializers.DateTimeField(allow_null=True)
    end_time = serializers.DateTimeField(allow_null=True)


class AudioUrlOutputSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    s3_audio_url = serializers.CharField(allow_null=True)


class TranscriptionOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    job_id = serializers.UUIDField()
    meeting_id = serializers.UUIDField()
    transcription_updated = serializers.BooleanField()


class _AgencyInfoSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()


class _BuyerInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    company_name = serializers.CharField()


class _SellerInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()


class _ProductSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    features = serializers.JSONField()


class JobContextOutputSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    meeting_id = serializers.UUIDField()
    agency_info = _AgencyInfoSerializer(allow_null=True)
    buyer_info = _BuyerInfoSerializer(allow_null=True)
    seller_info = _SellerInfoSerializer(allow_null=True)
    product_catalogue = _ProductSerializer(many=True)


class MessageOutputSerializer(serializers.Serializer):
    message = serializers.CharField()


def _validate_due_date(value):
    if value in (None, "", "Not Specified"):
        return None
    if not isinstance(value, str):
        raise serializers.ValidationError("due_date must be an ISO-8601 string")
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise serializers.ValidationError(f"due_date {value!r} is not ISO-8601") from exc
    return value


class ActionItemSerializer(serializers.Serializer):
    action_name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    due_date = serializers.JSONField(required=False, allow_null=True, validators=[])
    description = serializers.JSONField(required=False, allow_null=True)
    reasoning = serializers.JSONField(required=False, allow_null=True)
    signals = serializers.JSONField(required=False, allow_null=True)

    def validate_due_date(self, value):
        return _validate_due_date(value)


class QAPairSerializer(serializers.Serializer):
    question = serializers.CharField(allow_blank=True)
    answer = serializers.CharField(allow_blank=True, allow_null=True, required=False)


class FactSerializer(serializers.Serializer):
    subject = serializers.CharField(allow_blank=True)
    predicate = serializers.CharField(allow_blank=True)
    object = serializers.CharField(allow_blank=True)


class CallSummaryInputSerializer(serializers.Serializer):
    """Contract §4.7; every key optional, only the keys sent are updated."""

    call_title = serializers.CharField(max_length=300, required=False)
    call_type = serializers.JSONField(required=False, allow_null=True)
    detected_call_type = serializers.JSONField(required=False, allow_null=True)
    detected_products = serializers.ListField(child=serializers.DictField(), required=False)
    call_summary = serializers.JSONField(required=False)
    qa_pairs = QAPairSerializer(many=True, required=False)
    facts = FactSerializer(many=True, required=False)
    deal_stage = serializers.JSONField(required=False, allow_null=True)
    risks = serializers.ListField(child=serializers.DictField(), required=False)
    actions = ActionItemSerializer(many=True, required=False)
    suggested_actions = ActionItemSerializer(many=True, required=False)


class CallSummaryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    message = serializers.CharField()
    updated_fields = serializers.ListField(child=serializers.CharField())
    kept_corrections = serializers.ListField(
        child=serializers.CharField(), help_text="Fields a person corrected: left as corrected."
    )
    actions_created = serializers.IntegerField()
    created_action_ids = serializers.ListField(child=serializers.UUIDField())
    actions_updated = serializers.IntegerField()
    actions_deleted = serializers.IntegerField()


class MetricSerializer(serializers.Serializer):
    score = serializers.FloatField(min_value=0, max_value=10)
    date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class MetricsInputSerializer(serializers.Serializer):
    overall_score = serializers.FloatField(min_value=0, max_value=10, required=False)
    analyzed_at = BoundedDateTimeField(required=False)
    product_details_analysis = serializers.DictField(required=False)
    objection_handling_analysis = serializers.DictField(required=False)
    overall_performance_summary = serializers.DictField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        for name in PERFORMANCE_METRICS:
            fields[name] = MetricSerializer(required=False)
        return fields


class CallPerformanceOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    meeting_id = serializers.UUIDField()
    overall_score = serializers.FloatField(allow_null=True)
    analyzed_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MetricsOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    call_performance = CallPerformanceOutputSerializer()
