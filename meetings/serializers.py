from rest_framework import serializers

from chirpworks.pagination import PageParamsSerializer, PaginationSerializer
from chirpworks.timeframes import DateRangeQuerySerializer
from meetings.models import DEAL_STAGES, PERFORMANCE_METRICS, MeetingSource
from sellers.team_serializers import TeamMembersQuerySerializer


class CallHistoryQuerySerializer(
    TeamMembersQuerySerializer, DateRangeQuerySerializer, PageParamsSerializer
):
    pass


class CallRecordSerializer(serializers.Serializer):
    """One row of a call history: a meeting, or an app call not (yet) turned into one."""

    id = serializers.UUIDField()
    title = serializers.CharField()
    source = serializers.ChoiceField(choices=MeetingSource.choices)
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField(allow_null=True)
    buyer_number = serializers.CharField(allow_null=True, help_text="+91 XXXXXXXXXX")
    buyer_name = serializers.CharField(allow_null=True)
    buyer_email = serializers.CharField(allow_null=True)
    seller_number = serializers.CharField(allow_null=True, help_text="+91 XXXXXXXXXX")
    analysis_status = serializers.ChoiceField(
        choices=["Processing", "Completed", "Not Recorded", "Missed", "Rejected", "Not Answered"]
    )
    duration = serializers.CharField(help_text='"45s", "3m 5s" or "1h 2m"')
    call_notes = serializers.CharField(allow_null=True)
    user_name = serializers.CharField()
    user_email = serializers.CharField()
    call_direction = serializers.ChoiceField(choices=["incoming", "outgoing"], allow_null=True)
    call_type = serializers.ChoiceField(choices=["Answered", "Not Answered", "Missed", "Rejected"])
    app_call_type = serializers.CharField(allow_null=True)
    call_summary = serializers.JSONField(allow_null=True)


class CallHistoryPageSerializer(serializers.Serializer):
    """``call_history`` with ``page`` or ``limit``."""

    data = CallRecordSerializer(many=True)
    pagination = PaginationSerializer()


class MetricSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="The score that counts: a manager's override if any.")
    date = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    computed_score = serializers.FloatField(
        required=False, help_text="With an override: the analysis's own score."
    )
    override_reason = serializers.CharField(required=False)
    overridden_by = serializers.CharField(required=False)
    overridden_at = serializers.CharField(required=False)


class PerformanceSerializer(serializers.Serializer):
    meeting_id = serializers.UUIDField()
    overall_score = serializers.FloatField(allow_null=True)
    analyzed_at = serializers.DateTimeField()
    metrics = serializers.DictField(
        child=MetricSerializer(), help_text=f"Keys among: {', '.join(PERFORMANCE_METRICS)}."
    )
    analysis = serializers.DictField(child=serializers.JSONField())


class JobSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="init, in_progress, completed or failure")
    start_time = serializers.DateTimeField(source="started_at", allow_null=True)
    end_time = serializers.DateTimeField(source="finished_at", allow_null=True)


class RecordingDisclosureSerializer(serializers.Serializer):
    disclosed = serializers.BooleanField(
        allow_null=True, help_text="The seller said the call is recorded; null: no transcript yet."
    )
    required = serializers.BooleanField(help_text="The agency requires the disclosure.")
    missing = serializers.BooleanField(help_text="Required and not said: the call is flagged.")


class CorrectionSerializer(serializers.Serializer):
    field = serializers.CharField()
    corrected_by = serializers.UUIDField(allow_null=True)
    corrected_by_name = serializers.CharField(allow_null=True)
    corrected_at = serializers.DateTimeField()


class MeetingCorrectionInputSerializer(serializers.Serializer):
    """``PATCH /api/meetings/call_data/<id>``: any of the three; nothing else."""

    summary = serializers.ListField(
        child=serializers.CharField(max_length=1000, allow_blank=False),
        min_length=1,
        max_length=10,
        required=False,
        help_text="The summary's bullets.",
    )
    deal_stage = serializers.ChoiceField(choices=list(DEAL_STAGES), required=False)
    detected_products = serializers.ListField(
        child=serializers.CharField(max_length=300),
        max_length=50,
        required=False,
        help_text="Product ids or names from the agency's catalogue ([] = none).",
    )

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object"]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    key: ["Not a correctable field (summary, deal_stage, detected_products)"]
                    for key in unknown
                }
            )
        if isinstance(data.get("summary"), str):
            data = {**data, "summary": [data["summary"]]}
        return super().to_internal_value(data)


class MeetingDetailSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    buyer_id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    source = serializers.ChoiceField(choices=MeetingSource.choices)
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField(allow_null=True)
    transcription = serializers.CharField(
        allow_null=True, help_text="A JSON string: [{speaker, role, text, translation, ...}]."
    )
    direction = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    key_discussion_points = serializers.JSONField()
    summary = serializers.JSONField()
    type = serializers.JSONField(allow_null=True)
    detected_call_type = serializers.JSONField(allow_null=True)
    detected_products = serializers.JSONField()
    job = JobSummarySerializer(allow_null=True)
    performance = PerformanceSerializer(allow_null=True)
    recording_disclosure = RecordingDisclosureSerializer()
    # Additions (issue 13); the keys above are the contract's.
    deal_stage = serializers.JSONField(
        allow_null=True,
        help_text="{deal_stage, stage_signals: [quoted sentences], stage_reasoning}",
    )
    risks = serializers.JSONField(help_text="[{risk, risk_signal, risk_reasoning}]")
    objections = serializers.JSONField(
        help_text="[{type, signal, reasoning, speaker, role, start}]: the risks, located in the "
        "transcript"
    )
    qa_pairs = serializers.JSONField(help_text="[{question, answer}]")
    facts = serializers.JSONField(help_text="[{subject, predicate, object}]")
    talk_metrics = serializers.JSONField(
        allow_null=True,
        help_text="{talk_ratio: {seller, buyer}, talk_seconds, longest_monologue: "
        "{role, speaker, seconds, start, end}, questions: {seller, buyer, total}}; "
        "null unless both roles are known",
    )
    tracker_hits = serializers.JSONField(
        help_text="[{tracker, keyword, speaker, role, start, end, text}] for the agency's trackers"
    )
    warnings = serializers.JSONField(
        help_text="[{code, message, channel, ...}], e.g. a channel whose speech was not transcribed"
    )
    corrections = CorrectionSerializer(many=True)


class TranscriptionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    transcription = serializers.CharField(allow_null=True, help_text="A JSON string.")


class FeedbackItemSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    reason = serializers.CharField(allow_null=True)


class FeedbackSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The meeting's id.")
    overall_score = serializers.FloatField(allow_null=True)
    analyzed_at = serializers.DateTimeField()
    feedback = serializers.DictField(child=FeedbackItemSerializer())
    overall_performance_summary = serializers.JSONField(allow_null=True)
