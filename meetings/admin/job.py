"""The Job admin: processing state, errors and warnings, retry and re-analysis."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from chirpworks.admin_display import (
    EMPTY,
    AgencyTimezoneMixin,
    IdSearchMixin,
    admin_link,
    clock,
    local_time,
    shorten,
)
from meetings.admin.display import (
    MEETING_HEAVY_FIELDS,
    ChangeListDeferMixin,
    report_analysis,
    report_retry,
    warnings_html,
)
from meetings.models import Job, Meeting


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
        report_retry(self, request, list(queryset.values_list("pk", flat=True)))

    @admin.action(description="Re-analyse the meetings of selected jobs")
    def reanalyse(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_analysis(self, request, list(queryset.values_list("meeting_id", flat=True)))
