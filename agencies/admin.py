from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from agencies.models import Agency, Buyer
from agencies.services import agency_rotate_webhook_secret
from chirpworks.admin_display import pretty_json


class AgencyAdminForm(forms.ModelForm):
    """The Exotel API token is write-only: never shown, kept when the field is left empty."""

    exotel_api_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the current token.",
    )
    clear_exotel_api_token = forms.BooleanField(required=False, label="Clear the Exotel API token")

    class Meta:
        model = Agency
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin picks the fields)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("clear_exotel_api_token"):
            data["exotel_api_token"] = ""
        elif not data.get("exotel_api_token"):
            data["exotel_api_token"] = self.instance.exotel_api_token
        return data


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    form = AgencyAdminForm
    list_display = ["name", "timezone", "default_phone_region", "seller_count", "created_at"]
    list_filter = ["timezone", "default_phone_region"]
    search_fields = ["name", "description"]
    date_hierarchy = "created_at"
    # The secret is changed only by the "rotate" action (a service), never typed in.
    readonly_fields = ["exotel_webhook_secret", "exotel_webhook_url", "created_at", "updated_at"]
    actions = ["rotate_webhook_secret"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(seller_total=Count("sellers"))

    @admin.display(description="Sellers", ordering="seller_total")
    def seller_count(self, agency: Agency) -> int:
        return agency.seller_total

    @admin.display(description="Exotel webhook URL (path; prefix the API host)")
    def exotel_webhook_url(self, agency: Agency) -> str:
        if agency.pk is None:
            return "-"
        path = reverse("call-records-exotel-webhook")
        return format_html("<code>{}?key={}</code>", path, agency.exotel_webhook_secret)

    @admin.action(description="Rotate the Exotel webhook secret of selected agencies")
    def rotate_webhook_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        names = []
        for agency in queryset:
            agency_rotate_webhook_secret(agency=agency)
            names.append(agency.name)
        self.message_user(
            request,
            f"Rotated the Exotel webhook secret of {len(names)} agency(ies): {', '.join(names)}. "
            "Update the webhook URL in Exotel now: calls sent with the old key are refused.",
            messages.SUCCESS,
        )


@admin.register(Buyer)
class BuyerAdmin(admin.ModelAdmin):
    list_display = [
        "phone",
        "name",
        "company_name",
        "agency",
        "last_contacted_at",
        "last_contacted_by",
    ]
    list_filter = ["agency"]
    list_select_related = ["agency", "last_contacted_by"]
    search_fields = ["phone", "name", "company_name", "email"]
    autocomplete_fields = ["agency", "last_contacted_by", "created_by"]
    date_hierarchy = "last_contacted_at"
    fields = [
        "agency",
        "phone",
        "name",
        "email",
        "company_name",
        "last_contacted_at",
        "last_contacted_by",
        "created_by",
        "risks_view",
        "products_view",
        "highlights_view",
        "created_at",
        "updated_at",
    ]
    # The profile is folded in from each meeting's analysis: shown, not hand-edited.
    readonly_fields = ["risks_view", "products_view", "highlights_view", "created_at", "updated_at"]

    @admin.display(description="Risks")
    def risks_view(self, buyer: Buyer) -> str:
        return pretty_json(buyer.risks)

    @admin.display(description="Products discussed")
    def products_view(self, buyer: Buyer) -> str:
        return pretty_json(buyer.products_discussed)

    @admin.display(description="Key highlights")
    def highlights_view(self, buyer: Buyer) -> str:
        return pretty_json(buyer.key_highlights)
