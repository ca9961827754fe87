from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join

from chirpworks.exceptions import ApplicationError
from sellers.models import RevokedAccessToken, Seller
from sellers.selectors import seller_team_ids
from sellers.services import seller_reset_password, sellers_deactivate


@admin.register(Seller)
class SellerAdmin(UserAdmin):
    ordering = ["name"]
    list_display = ["name", "email", "phone", "role", "agency", "manager", "is_active", "is_staff"]
    list_filter = ["agency", "role", "is_active", "is_staff"]
    list_select_related = ["agency", "manager"]
    search_fields = ["name", "email", "phone", "username"]
    autocomplete_fields = ["agency", "manager"]
    date_hierarchy = "created_at"
    actions = ["resend_password_email", "deactivate"]
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

    @admin.action(description="Email selected sellers a new password (signs them out)")
    def resend_password_email(self, request: HttpRequest, queryset: QuerySet) -> None:
        sent, refused = [], []
        for seller in queryset:
            try:
                seller_reset_password(seller=seller)
            except ApplicationError as exc:
                refused.append(f"{seller.email} ({exc.message})")
            else:
                sent.append(seller.email)
        if sent:
            self.message_user(
                request,
                f"New password emailed to {len(sent)} seller(s), their sessions revoked: "
                f"{', '.join(sent)}.",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request, f"Not sent to {len(refused)}: {', '.join(refused)}.", messages.WARNING
            )

    @admin.action(description="Deactivate selected sellers (revokes their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        result = sellers_deactivate(
            seller_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        message = (
            f"Deactivated {result.deactivated} seller(s) and revoked their sessions; "
            f"{result.already_inactive} already inactive."
        )
        if result.skipped_self:
            message += " You were not deactivated (you cannot deactivate yourself)."
        self.message_user(
            request, message, messages.SUCCESS if result.deactivated else messages.WARNING
        )


@admin.register(RevokedAccessToken)
class RevokedAccessTokenAdmin(admin.ModelAdmin):
    """Read-only: rows are written at logout and purged by ``cleanup_tokens``."""

    list_display = ["jti", "seller", "revoked_at", "expires_at", "expired"]
    list_filter = ["seller__agency"]
    list_select_related = ["seller"]
    search_fields = ["jti", "seller__email", "seller__name"]
    date_hierarchy = "revoked_at"
    ordering = ["-revoked_at"]
    readonly_fields = ["jti", "seller", "revoked_at", "expires_at"]

    @admin.display(boolean=True, description="Expired (purgeable)")
    def expired(self, token: RevokedAccessToken) -> bool:
        return token.expires_at <= timezone.now()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
