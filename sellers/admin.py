from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.html import format_html_join

from sellers.models import RevokedAccessToken, Seller
from sellers.selectors import seller_team_ids


@admin.register(Seller)
class SellerAdmin(UserAdmin):
    ordering = ["name"]
    list_display = ["name", "email", "phone", "role", "agency", "manager", "is_active", "is_staff"]
    list_filter = ["agency", "role", "is_active", "is_staff"]
    list_select_related = ["agency", "manager"]
    search_fields = ["name", "email", "phone", "username"]
    autocomplete_fields = ["agency", "manager"]
    readonly_fields = ["team", "session_version", "last_login", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "username", "phone"]}),
        ("Agency", {"fields": ["agency", "role", "manager", "team"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "session_version"]}),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "name", "phone", "agency", "role", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = []

    @admin.display(description="Team (everyone whose manager chain leads here)")
    def team(self, seller: Seller) -> str:
        if seller.pk is None:
            return "-"
        members = Seller.objects.filter(pk__in=seller_team_ids(manager=seller)).order_by("name")
        return format_html_join(", ", "{} ({})", ((m.name, m.role) for m in members)) or "-"


@admin.register(RevokedAccessToken)
class RevokedAccessTokenAdmin(admin.ModelAdmin):
    list_display = ["jti", "seller", "revoked_at", "expires_at"]
    list_select_related = ["seller"]
    search_fields = ["jti", "seller__email"]
    readonly_fields = ["jti", "seller", "revoked_at", "expires_at"]
