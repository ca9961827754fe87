from django.contrib import admin

from rollups.models import SellerDailyCalls


@admin.register(SellerDailyCalls)
class SellerDailyCallsAdmin(admin.ModelAdmin):
    list_display = ("day", "seller", "outgoing_answered", "incoming_answered", "meetings", "leads")
    list_filter = ("agency",)
    list_select_related = ("seller",)
    date_hierarchy = "day"
    readonly_fields = [f.name for f in SellerDailyCalls._meta.fields]
    search_fields = ("seller__name", "seller__email")

    def has_add_permission(self, request):
        return False  # derived rows: rollups_rebuild writes them
