from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from actions.models import Action
from chirpworks.admin_display import (
    EMPTY,
    AgencyTimezoneMixin,
    IdSearchMixin,
    admin_link,
    bullets,
    clock,
    details,
    local_time,
    shorten,
    stage_badge,
    table,
    transcript_lines,
)
from meetings.models import (
    PERFORMANCE_METRICS,
    CallPerformance,
    Job,
    JobStatus,
    Meeting,
    MeetingCorrection,
)
from meetings.reconciliation import admin as reconciliation_admin  # noqa: F401  (calls' action)
from meetings.services import jobs_retry, meetings_trigger_analysis

# The meeting's large JSON columns: not loaded for change lists (they show none of them).
MEETING_HEAVY_FIELDS = (
    "transcription",
    "summary",
    "key_discussion_points",
    "type",
    "detected_call_type",
    "detected_products",
    "qa_pairs",
    "facts",
    "deal_stage",
    "risks",
    "analysis_extras",
)
PERFORMANCE_HEAVY_FIELDS = (
    *PERFORMANCE_METRICS,
    "product_details_analysis",
    "objection_handling_analysis",
    "overall_performance_summary",
)


def _is_changelist(request: HttpRequest) -> bool:
    match = request.resolver_match
    return bool(match and match.url_name and match.url_name.endswith("_changelist"))


class ChangeListDeferMixin:
    """Change lists skip the big JSON columns (``changelist_defer``) their rows never show."""

    changelist_defer: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if _is_changelist(request):
            queryset = queryset.defer(*self.changelist_defer)
        return queryset


def _report_retry(modeladmin, request: HttpRequest, job_ids: list) -> None:
    result = jobs_retry(job_ids=job_ids)
    modeladmin.message_user(
        request,
        f"{len(result.retried)} failed job(s) queued again, {len(result.resent)} waiting job(s) "
        f"re-sent to the queue; skipped {len(result.no_recording)} with no recording and "
        f"{len(result.skipped)} in progress or completed.",
        messages.SUCCESS if result.retried or result.resent else messages.WARNING,
    )


def _report_analysis(modeladmin, request: HttpRequest, meeting_ids: list) -> None:
    result = meetings_trigger_analysis(meeting_ids=meeting_ids)
    message = f"Re-analysis queued for {len(result.queued)} meeting(s)."
    skipped = [
        (len(result.no_transcript), "without a transcript"),
        (len(result.not_ready), "whose job is not completed or in progress"),
    ]
    if any(count for count, _ in skipped):
        message += " Skipped " + " and ".join(
            f"{count} {reason}" for count, reason in skipped if count
        )
        message += ": " + ", ".join((result.no_transcript + result.not_ready)[:20])
        message += "…" if len(result.no_transcript) + len(result.not_ready) > 20 else "."
    modeladmin.message_user(
        request, message, messages.SUCCESS if result.queued else messages.WARNING
    )


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


class TranscriptFilter(admin.SimpleListFilter):
    title = "transcript"
    parameter_name = "transcript"

    def lookups(self, request, model_admin):
        return [("yes", "Transcribed"), ("no", "No transcript")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(transcription=[])
        if self.value() == "no":
            return queryset.filter(transcription=[])
        return queryset


class ReadOnlyInlineMixin:
    """An inline that shows related rows for reference; they change through their own services."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class JobInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = Job
    fields = ["status", "attempts", "created_at", "started_at", "finished_at", "error"]
    readonly_fields = fields


class ActionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Action
    fields = ["title", "type", "status", "due_date", "reasoning"]
    readonly_fields = fields


def _metrics_table(performance: CallPerformance) -> str:
    rows = []
    for name in PERFORMANCE_METRICS:
        metric = getattr(performance, name) or {}
        rows.append(
            (
                name.replace("_", " "),
                metric.get("score", EMPTY) if isinstance(metric, dict) else EMPTY,
                (metric.get("reason") or "") if isinstance(metric, dict) else "",
            )
        )
    body = format_html_join(
        "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows
    )  # every value escaped
    return format_html(
        "<table><thead><tr><th>Metric</th><th>Score</th><th>Reason</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        body,
    )


def warnings_html(warnings) -> str:
    """A meeting's processing warnings, one line each: code, channel, message."""
    if not warnings:
        return EMPTY
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            "<li><strong>{}</strong> ({}): {}</li>",
            (
                (w.get("code", "?"), w.get("channel", "-"), w.get("message", ""))
                for w in warnings
                if isinstance(w, dict)
            ),
        ),
    )


class HasWarningsFilter(admin.SimpleListFilter):
    title = "processing warnings"
    parameter_name = "warnings"

    def lookups(self, request, model_admin):
        return [("yes", "With warnings"), ("no", "Without")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(warnings=[])
        if self.value() == "no":
            return queryset.filter(warnings=[])
        return queryset


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
        return _metrics_table(performance)

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
        _report_analysis(self, request, list(queryset.values_list("pk", flat=True)))

    @admin.action(description="Retry the failed processing of selected meetings")
    def retry_processing(self, request: HttpRequest, queryset: QuerySet) -> None:
        job_ids = list(
            Job.objects.filter(meeting__in=queryset.values("pk")).values_list("pk", flat=True)
        )
        _report_retry(self, request, job_ids)


class JobErrorFilter(admin.SimpleListFilter):
    title = "error"
    parameter_name = "has_error"

    def lookups(self, request, model_admin):
        return [("yes", "With an error"), ("no", "No error")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(error="")
        if self.value() == "no":
            return queryset.filter(error="")
        return queryset


@admin.register(Job)
class JobAdmin(AgencyTimezoneMixin, IdSearchMixin, ChangeListDeferMixin, admin.ModelAdmin):
    list_display = [
        "short_id",
        "meeting_title",
        "agency",
        "status",
        "attempts",
        "created",
        "started",
        "processing_time",
        "short_error",
        "warning_count",
    ]
    list_display_links = ["short_id"]
    list_filter = ["status", JobErrorFilter, "meeting__agency"]
    list_select_related = ["meeting__agency"]
    search_fields = ["meeting__title", "error", "meeting__seller__email"]
    id_search_fields = ("pk", "meeting__pk")
    search_help_text = "Meeting title, error text, seller email; or a job or meeting id."
    date_hierarchy = "created_at"
    fields = [
        "id",
        "meeting_link",
        "status",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "processing_time",
        "audio_location",
        "error",
        "warnings",
        "updated_at",
    ]
    # Status moves only through the lifecycle services (the actions below), never by hand.
    readonly_fields = fields
    actions = ["retry", "reanalyse"]

    changelist_defer = tuple(f"meeting__{f}" for f in MEETING_HEAVY_FIELDS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def agency_timezone(self, job: Job):
        return job.meeting.agency.tzinfo

    @admin.display(description="Job", ordering="pk")
    def short_id(self, job: Job) -> str:
        return format_html('<span title="{}">{}…</span>', job.pk, str(job.pk)[:8])

    @admin.display(description="Meeting", ordering="meeting__title")
    def meeting_title(self, job: Job) -> str:
        return admin_link(Meeting, job.meeting_id, shorten(job.meeting.title, 40))

    @admin.display(description="Created (agency time)", ordering="created_at")
    def created(self, job: Job) -> str:
        return local_time(job.created_at, job.meeting.agency.tzinfo, short=True)

    @admin.display(description="Started", ordering="started_at")
    def started(self, job: Job) -> str:
        return local_time(job.started_at, job.meeting.agency.tzinfo, short=True)

    @admin.display(description="Meeting")
    def meeting_link(self, job: Job) -> str:
        return admin_link(Meeting, job.meeting_id, job.meeting.title)

    @admin.display(description="Agency", ordering="meeting__agency__name")
    def agency(self, job: Job) -> str:
        return job.meeting.agency.name

    @admin.display(description="Took")
    def processing_time(self, job: Job) -> str:
        if job.started_at and job.finished_at:
            return clock((job.finished_at - job.started_at).total_seconds())
        return EMPTY

    @admin.display(description="Error", ordering="error")
    def short_error(self, job: Job) -> str:
        if not job.error:
            return EMPTY
        return format_html('<span title="{}">{}</span>', job.error, shorten(job.error, 40))

    @admin.display(description="Warnings")
    def warning_count(self, job: Job) -> str:
        return str(len(job.meeting.warnings)) if job.meeting.warnings else EMPTY

    @admin.display(description="Warnings")
    def warnings(self, job: Job) -> str:
        return warnings_html(job.meeting.warnings)

    @admin.action(description="Retry selected failed jobs (and re-send waiting ones)")
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        _report_retry(self, request, list(queryset.values_list("pk", flat=True)))

    @admin.action(description="Re-analyse the meetings of selected jobs")
    def reanalyse(self, request: HttpRequest, queryset: QuerySet) -> None:
        _report_analysis(self, request, list(queryset.values_list("meeting_id", flat=True)))


@admin.register(CallPerformance)
class CallPerformanceAdmin(AgencyTimezoneMixin, ChangeListDeferMixin, admin.ModelAdmin):
    list_display = ["meeting_title", "seller", "agency", "overall_score", "analyzed_at"]
    list_filter = ["meeting__agency"]
    list_select_related = ["meeting__seller", "meeting__agency"]
    search_fields = ["meeting__title", "meeting__seller__name", "meeting__seller__email"]
    date_hierarchy = "analyzed_at"
    ordering = ["-analyzed_at"]
    fields = [
        "meeting_link",
        "overall_score",
        "analyzed_at",
        "metrics",
        "product_details",
        "objection_handling",
        "overall_summary",
        "created_at",
        "updated_at",
    ]
    # Scores are written by the analysis (or the workers' metrics endpoint), not by hand.
    readonly_fields = fields

    changelist_defer = (
        *PERFORMANCE_HEAVY_FIELDS,
        *(f"meeting__{f}" for f in MEETING_HEAVY_FIELDS),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def agency_timezone(self, performance: CallPerformance):
        return performance.meeting.agency.tzinfo

    @admin.display(description="Meeting", ordering="meeting__title")
    def meeting_title(self, performance: CallPerformance) -> str:
        return shorten(performance.meeting.title, 60)

    @admin.display(description="Meeting")
    def meeting_link(self, performance: CallPerformance) -> str:
        return admin_link(Meeting, performance.meeting_id, performance.meeting.title)

    @admin.display(description="Seller", ordering="meeting__seller__name")
    def seller(self, performance: CallPerformance) -> str:
        return str(performance.meeting.seller)

    @admin.display(description="Agency", ordering="meeting__agency__name")
    def agency(self, performance: CallPerformance) -> str:
        return performance.meeting.agency.name

    @admin.display(description="Metrics")
    def metrics(self, performance: CallPerformance) -> str:
        return _metrics_table(performance)

    @admin.display(description="Product details analysis")
    def product_details(self, performance: CallPerformance) -> str:
        return details(performance.product_details_analysis)

    @admin.display(description="Objection handling analysis")
    def objection_handling(self, performance: CallPerformance) -> str:
        return details(performance.objection_handling_analysis)

    @admin.display(description="Overall performance summary")
    def overall_summary(self, performance: CallPerformance) -> str:
        return details(performance.overall_performance_summary)
