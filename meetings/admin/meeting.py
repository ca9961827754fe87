"""The Meeting admin: filters, inlines (job, performance, actions, corrections), ops actions."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from actions.models import Action
from chirpworks.admin_display import (
    EMPTY,
    AgencyTimezoneMixin,
    IdSearchMixin,
    bullets,
    clock,
    details,
    local_time,
    shorten,
    stage_badge,
    table,
    transcript_lines,
)
from meetings.admin.display import (
    MEETING_HEAVY_FIELDS,
    PERFORMANCE_HEAVY_FIELDS,
    ChangeListDeferMixin,
    ReadOnlyInlineMixin,
    metrics_table,
    report_analysis,
    report_retry,
    warnings_html,
)
from meetings.models import CallPerformance, Job, JobStatus, Meeting, MeetingCorrection


class JobStatusFilter(admin.SimpleListFilter):
    title = "job status"
    parameter_name = "job_status"

    def lookups(self, request, model_admin):
        return [*JobStatus.choices, ("none", "No job")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(job__isnull=True)
        if self.value() in JobStatus.values:
            return queryset.filter(job__status=self.value())
        return queryset


class EmptyListFilter(admin.SimpleListFilter):
    """Whether a JSON list field holds anything; a subclass names the field and the two labels."""

    field = ""
    labels = ("", "")  # (not empty, empty)

    def lookups(self, request, model_admin):
        return [("yes", self.labels[0]), ("no", self.labels[1])]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(**{self.field: []})
        if self.value() == "no":
            return queryset.filter(**{self.field: []})
        return queryset


class TranscriptFilter(EmptyListFilter):
    title = "transcript"
    parameter_name = "transcript"
    field = "transcription"
    labels = ("Transcribed", "No transcript")


class JobInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = Job
    fields = ["status", "attempts", "created_at", "started_at", "finished_at", "error"]
    readonly_fields = fields


class ActionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Action
    fields = ["title", "type", "status", "due_date", "reasoning"]
    readonly_fields = fields


class HasWarningsFilter(EmptyListFilter):
    title = "processing warnings"
    parameter_name = "warnings"
    field = "warnings"
    labels = ("With warnings", "Without")


class CorrectionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MeetingCorrection
    fields = ["field", "value", "previous", "corrected_by", "created_at"]
    readonly_fields = fields
    ordering = ["-created_at"]
    verbose_name_plural = "Corrections by people (re-analysis keeps them)"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("corrected_by")


class CallPerformanceInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = CallPerformance
    fields = ["overall_score", "analyzed_at", "metrics", "overall_summary"]
    readonly_fields = fields

    @admin.display(description="Metrics")
    def metrics(self, performance: CallPerformance) -> str:
        return metrics_table(performance)

    @admin.display(description="Overall performance summary")
    def overall_summary(self, performance: CallPerformance) -> str:
        return details(performance.overall_performance_summary)


# The analysis, shown read-only on a meeting's page (each a ``*_view`` method below).
_ANALYSIS_VIEWS = (
    "summary_view",
    "key_points_view",
    "type_view",
    "detected_call_type_view",
    "detected_products_view",
    "qa_pairs_view",
    "facts_view",
    "deal_stage_view",
    "risks_view",
    "extras_view",
)


class RecordingDisclosureFilter(admin.SimpleListFilter):
    title = "recording disclosure"
    parameter_name = "recording_disclosure"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            ("missing", "Missing where required"),
            ("no", "Not said"),
            ("yes", "Said"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "missing":
            return queryset.filter(
                recording_disclosed=False,
                agency__settings__recording_disclosure_required=True,
            )
        if self.value() in ("yes", "no"):
            return queryset.filter(recording_disclosed=self.value() == "yes")
        return queryset


@admin.register(Meeting)
class MeetingAdmin(AgencyTimezoneMixin, IdSearchMixin, ChangeListDeferMixin, admin.ModelAdmin):
    list_display = [
        "short_title",
        "agency",
        "seller_name",
        "buyer",
        "start",
        "duration",
        "job_status",
        "overall_score",
        "flags",
    ]
    list_filter = [
        JobStatusFilter,
        TranscriptFilter,
        RecordingDisclosureFilter,
        HasWarningsFilter,
        "source",
        "agency",
    ]
    list_display_links = ["short_title"]
    list_select_related = ["agency", "seller", "buyer", "job", "performance"]
    search_fields = ["title", "seller__name", "seller__email", "buyer__phone", "buyer__name"]
    id_search_fields = ("pk", "job__pk")
    search_help_text = "Title, seller name or email, buyer phone or name; or a meeting or job id."
    date_hierarchy = "start_time"
    ordering = ["-start_time"]
    inlines = [JobInline, CallPerformanceInline, ActionInline, CorrectionInline]
    fieldsets = [
        (
            "Call",
            {
                "fields": [
                    "title",
                    "agency",
                    "seller",
                    "buyer",
                    "source",
                    "direction",
                    "started",
                    "ended",
                    "duration",
                    "recording",
                ]
            },
        ),
        ("Processing warnings", {"fields": ["warnings_view"]}),
        ("Transcript", {"fields": ["recording_disclosure", "transcript"]}),
        (
            "Analysis",
            {"fields": list(_ANALYSIS_VIEWS)},
        ),
        ("Record", {"fields": ["id", "created_at", "updated_at"]}),
    ]
    # Meetings come from reconciliation and analysis: only the title is edited by hand.
    readonly_fields = [
        "agency",
        "seller",
        "buyer",
        "source",
        "direction",
        "started",
        "ended",
        "duration",
        "recording",
        "recording_disclosure",
        "warnings_view",
        "transcript",
        *_ANALYSIS_VIEWS,
        "id",
        "created_at",
        "updated_at",
    ]
    actions = ["reanalyse", "retry_processing"]

    changelist_defer = (
        *MEETING_HEAVY_FIELDS,
        *(f"performance__{f}" for f in PERFORMANCE_HEAVY_FIELDS),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Title", ordering="title")
    def short_title(self, meeting: Meeting) -> str:
        return shorten(meeting.title, 48)

    @admin.display(description="Seller", ordering="seller__name")
    def seller_name(self, meeting: Meeting) -> str:
        return meeting.seller.name or meeting.seller.email

    @admin.display(description="Start (agency time)", ordering="start_time")
    def start(self, meeting: Meeting) -> str:
        return local_time(meeting.start_time, meeting.agency.tzinfo, short=True)

    @admin.display(description="Start time")
    def started(self, meeting: Meeting) -> str:
        return local_time(meeting.start_time, meeting.agency.tzinfo)

    @admin.display(description="End time")
    def ended(self, meeting: Meeting) -> str:
        return local_time(meeting.end_time, meeting.agency.tzinfo)

    @admin.display(description="Duration", ordering="end_time")
    def duration(self, meeting: Meeting) -> str:
        return clock(meeting.duration_seconds) if meeting.end_time else EMPTY

    @admin.display(description="Job", ordering="job__status")
    def job_status(self, meeting: Meeting) -> str:
        job = getattr(meeting, "job", None)  # cached by select_related, None when missing
        return job.status if job else EMPTY

    @admin.display(description="Score", ordering="performance__overall_score")
    def overall_score(self, meeting: Meeting):
        performance = getattr(meeting, "performance", None)
        return performance.overall_score if performance else EMPTY

    @admin.display(description="Disclosed", ordering="recording_disclosed")
    def recording_disclosure(self, meeting: Meeting) -> str:
        if meeting.recording_disclosed is None:
            return EMPTY
        if meeting.recording_disclosed:
            return "yes"
        # Flagged where the agency requires the disclosure (IRDAI: insurance sellers).
        required = meeting.agency.setting_enabled("recording_disclosure_required")
        return "MISSING" if required else "no"

    @admin.display(description="Flags")
    def flags(self, meeting: Meeting) -> str:
        """One narrow column for the list: a missing recording disclosure, processing warnings."""
        parts = []
        if self.recording_disclosure(meeting) == "MISSING":
            parts.append("MISSING disclosure")
        if meeting.warnings:
            parts.append(f"{len(meeting.warnings)} warn")
        return ", ".join(parts) or EMPTY

    @admin.display(description="Warnings")
    def warning_count(self, meeting: Meeting) -> str:
        return str(len(meeting.warnings)) if meeting.warnings else EMPTY

    @admin.display(description="Warnings")
    def warnings_view(self, meeting: Meeting) -> str:
        return warnings_html(meeting.warnings)

    @admin.display(description="Transcript")
    def transcript(self, meeting: Meeting) -> str:
        return transcript_lines(meeting.transcription)

    @admin.display(description="Summary")
    def summary_view(self, meeting: Meeting) -> str:
        return bullets(meeting.summary)

    @admin.display(description="Key discussion points")
    def key_points_view(self, meeting: Meeting) -> str:
        return bullets(meeting.key_discussion_points)

    @admin.display(description="Call type")
    def type_view(self, meeting: Meeting) -> str:
        return details(meeting.type)

    @admin.display(description="Detected call type")
    def detected_call_type_view(self, meeting: Meeting) -> str:
        return details(meeting.detected_call_type)

    @admin.display(description="Detected products")
    def detected_products_view(self, meeting: Meeting) -> str:
        return table(
            meeting.detected_products,
            [
                ("product_name", "Product"),
                ("interest_level", "Interest"),
                ("mentions", "Mentions"),
                ("features", "Features"),
            ],
        )

    @admin.display(description="Questions and answers")
    def qa_pairs_view(self, meeting: Meeting) -> str:
        return table(meeting.qa_pairs, [("question", "Question"), ("answer", "Answer")])

    @admin.display(description="Facts")
    def facts_view(self, meeting: Meeting) -> str:
        return details(meeting.facts)

    @admin.display(description="Deal stage")
    def deal_stage_view(self, meeting: Meeting) -> str:
        return stage_badge(meeting.deal_stage)

    @admin.display(description="Risks")
    def risks_view(self, meeting: Meeting) -> str:
        return details(meeting.risks)

    @admin.display(description="Other figures (sentiment, talk ratio, ...)")
    def extras_view(self, meeting: Meeting) -> str:
        return details(meeting.analysis_extras)

    @admin.action(description="Re-analyse selected meetings (those with a transcript)")
    def reanalyse(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_analysis(self, request, list(queryset.values_list("pk", flat=True)))

    @admin.action(description="Retry the failed processing of selected meetings")
    def retry_processing(self, request: HttpRequest, queryset: QuerySet) -> None:
        job_ids = list(
            Job.objects.filter(meeting__in=queryset.values("pk")).values_list("pk", flat=True)
        )
        report_retry(self, request, job_ids)
