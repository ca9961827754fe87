from django.contrib import admin

from agencies.models import Agency, Buyer


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "default_phone_region", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Buyer)
class BuyerAdmin(admin.ModelAdmin):
    list_display = ["phone", "name", "company_name", "agency", "last_contacted_at"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["phone", "name", "company_name", "email"]
    autocomplete_fields = ["agency", "last_contacted_by"]
