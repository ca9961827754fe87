"""The CallPerformance admin: a call's scores and the analysis behind them."""

from django.contrib import admin
from django.http import HttpRequest

from chirpworks.admin_display import AgencyTimezoneMixin, admin_link, details, shorten
from meetings.admin.display import (
    MEETING_HEAVY_FIELDS,
    PERFORMANCE_HEAVY_FIELDS,
    ChangeListDeferMixin,
    metrics_table,
)
from meetings.models import CallPerformance, Meeting


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
        return metrics_table(performance)

    @admin.display(description="Product details analysis")
    def product_details(self, performance: CallPerformance) -> str:
        return details(performance.product_details_analysis)

    @admin.display(description="Objection handling analysis")
    def objection_handling(self, performance: CallPerformance) -> str:
        return details(performance.objection_handling_analysis)

    @admin.display(description="Overall performance summary")
    def overall_summary(self, performance: CallPerformance) -> str:
        return details(performance.overall_performance_summary)
