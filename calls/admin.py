"""Admin of the calls; ``meetings.reconciliation.admin`` adds the "reconcile selected" action."""

from django.contrib import admin

from calls.models import ExotelCall, MobileAppCall
from chirpworks.admin_display import AgencyTimezoneMixin, local_time, pretty_json


class MatchedFilter(admin.SimpleListFilter):
    title = "reconciliation"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("yes", "Matched"), ("no", "Unmatched")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(reconciled_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(reconciled_at__isnull=True)
        return queryset


class SellerKnownFilter(admin.SimpleListFilter):
    title = "seller"
    parameter_name = "seller_known"

    def lookups(self, request, model_admin):
        return [("yes", "Known"), ("no", "Unknown phone")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(seller__isnull=self.value() == "no")
        return queryset


@admin.register(MobileAppCall)
class MobileAppCallAdmin(AgencyTimezoneMixin, admin.ModelAdmin):
    list_display = [
        "app_call_id",
        "seller",
        "buyer_number",
        "call_type",
        "status",
        "start",
        "duration",
        "matched",
    ]
    list_filter = [MatchedFilter, "status", "call_type", "seller__agency"]
    list_select_related = ["seller__agency"]
    search_fields = ["app_call_id", "buyer_number", "seller_number", "seller__email"]
    raw_id_fields = ["seller", "meeting"]
    readonly_fields = ["created_at", "updated_at", "reconciled_at"]
    date_hierarchy = "start_time"

    def agency_timezone(self, obj: MobileAppCall):
        return obj.seller.agency.tzinfo if obj.seller.agency_id else None

    @admin.display(description="Start (agency time)", ordering="start_time")
    def start(self, obj: MobileAppCall) -> str:
        agency = obj.seller.agency
        return local_time(obj.start_time, agency.tzinfo if agency else None, short=True)

    @admin.display(boolean=True, description="Matched")
    def matched(self, obj: MobileAppCall) -> bool:
        return obj.reconciled_at is not None


@admin.register(ExotelCall)
class ExotelCallAdmin(AgencyTimezoneMixin, admin.ModelAdmin):
    list_display = [
        "call_sid",
        "agency",
        "seller",
        "from_number",
        "to_number",
        "status",
        "start",
        "duration",
        "recording_status",
        "matched",
    ]
    list_filter = [MatchedFilter, SellerKnownFilter, "status", "recording_status", "agency"]
    list_select_related = ["agency", "seller"]
    search_fields = ["call_sid", "from_number", "to_number", "buyer_number", "seller__email"]
    raw_id_fields = ["seller", "mobile_call", "meeting"]
    # What Exotel sent, as it sent it: shown pretty-printed, never edited.
    exclude = ["raw_payload"]
    readonly_fields = [
        "recording_url",
        "recording_error",
        "created_at",
        "updated_at",
        "reconciled_at",
        "raw_payload_view",
    ]
    date_hierarchy = "start_time"

    @admin.display(description="Raw payload (as received from Exotel)")
    def raw_payload_view(self, obj: ExotelCall) -> str:
        return pretty_json(obj.raw_payload)

    @admin.display(description="Start (agency time)", ordering="start_time")
    def start(self, obj: ExotelCall) -> str:
        return local_time(obj.start_time, obj.agency.tzinfo, short=True)

    @admin.display(boolean=True, description="Matched")
    def matched(self, obj: ExotelCall) -> bool:
        return obj.reconciled_at is not None
