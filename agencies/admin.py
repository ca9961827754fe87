from django import forms
from django.contrib import admin, messages
from django.db.models import Count, F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from agencies.deletion_services import buyer_restore
from agencies.merge_services import buyers_merge
from agencies.models import Agency, Buyer, BuyerMerge, BuyerNote, BuyerPhone, BuyerTag
from agencies.services import agency_rotate_webhook_secret
from chirpworks.admin_display import pretty_json
from chirpworks.exceptions import ApplicationError


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


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Deleted"), ("merged", "Merged away")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False, merged_into__isnull=True)
        if self.value() == "merged":
            return queryset.filter(merged_into__isnull=False)
        return queryset


class BuyerNoteInline(admin.TabularInline):
    model = BuyerNote
    fk_name = "buyer"
    fields = ["created_at", "kind", "author", "meeting", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "meeting")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class BuyerPhoneInline(admin.TabularInline):
    model = BuyerPhone
    fk_name = "buyer"
    fields = ["phone", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# Shown at the end of a buyer's page, never hand-edited (deletion, merge, the analysed profile).
_SHOWN_LAST = [
    "deleted_at",
    "deleted_by",
    "merged_into",
    "risks_view",
    "products_view",
    "highlights_view",
    "created_at",
    "updated_at",
]


@admin.register(Buyer)
class BuyerAdmin(SimpleHistoryAdmin):
    """Buyers, deleted ones included (filter "deleted"); "History" on a buyer's page is its audit
    trail. The actions merge and restore through the same services as the API."""

    list_display = [
        "phone",
        "name",
        "company_name",
        "agency",
        "lifecycle",
        "tag_list",
        "last_contacted_at",
        "last_contacted_by",
        "deleted_at",
    ]
    list_filter = [DeletedFilter, "lifecycle", ("tags", admin.RelatedOnlyFieldListFilter), "agency"]
    inlines = [BuyerPhoneInline, BuyerNoteInline]
    actions = ["merge_buyers", "restore_buyers"]
    history_list_display = ["history_change_reason"]
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
        "lifecycle",
        "lifecycle_cause",
        "lifecycle_changed_at",
        "tag_names",
        "profile_view",
        "last_contacted_at",
        "last_contacted_by",
        "created_by",
        *_SHOWN_LAST,
    ]
    # The profile is folded in from each meeting's analysis, lifecycle, tags and deletion are
    # changed through the services (API, actions): shown, not hand-edited.
    readonly_fields = [
        "lifecycle",
        "lifecycle_cause",
        "lifecycle_changed_at",
        "tag_names",
        "profile_view",
        *_SHOWN_LAST,
    ]

    @admin.display(description="Tags")
    def tag_list(self, buyer: Buyer) -> str:
        return ", ".join(buyer.tag_names or [])

    @admin.display(description="Profile (said on calls or typed in)")
    def profile_view(self, buyer: Buyer) -> str:
        return pretty_json(buyer.profile)

    @admin.action(description="Merge selected buyers into the most recently contacted one")
    def merge_buyers(self, request: HttpRequest, queryset: QuerySet) -> None:
        buyers = list(queryset.order_by(F("last_contacted_at").desc(nulls_last=True), "pk"))
        if len(buyers) < 2 or len({b.agency_id for b in buyers}) != 1:
            self.message_user(
                request, "Select two or more buyers of one agency to merge.", messages.ERROR
            )
            return
        try:
            record = buyers_merge(actor=request.user, keep=buyers[0], merge=buyers[1:])
        except ApplicationError as exc:
            self.message_user(request, f"Not merged: {exc.message}", messages.ERROR)
            return
        self.message_user(
            request,
            f"Merged {len(record.merged_ids)} buyer(s) into {buyers[0]}: "
            f"{record.moved.get('meetings', 0)} meetings, {record.moved.get('actions', 0)} "
            "actions moved.",
            messages.SUCCESS,
        )

    @admin.action(description="Restore selected deleted buyers")
    def restore_buyers(self, request: HttpRequest, queryset: QuerySet) -> None:
        restored, refused = 0, 0
        for buyer in queryset.filter(deleted_at__isnull=False):
            try:
                buyer_restore(actor=request.user, buyer=buyer)
                restored += 1
            except ApplicationError:
                refused += 1  # merged away: its calls belong to the kept buyer now
        level = messages.SUCCESS if not refused else messages.WARNING
        self.message_user(
            request, f"Restored {restored} buyer(s); {refused} merged away, not restored.", level
        )

    @admin.display(description="Risks")
    def risks_view(self, buyer: Buyer) -> str:
        return pretty_json(buyer.risks)

    @admin.display(description="Products discussed")
    def products_view(self, buyer: Buyer) -> str:
        return pretty_json(buyer.products_discussed)

    @admin.display(description="Key highlights")
    def highlights_view(self, buyer: Buyer) -> str:
        return pretty_json(buyer.key_highlights)


@admin.register(BuyerTag)
class BuyerTagAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "created_at"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["name"]


@admin.register(BuyerMerge)
class BuyerMergeAdmin(admin.ModelAdmin):
    """The record of each merge: read-only."""

    list_display = ["created_at", "kept", "agency", "actor", "merged_count"]
    list_filter = ["agency"]
    list_select_related = ["kept", "agency", "actor"]
    search_fields = ["kept__name", "kept__phone"]
    date_hierarchy = "created_at"
    readonly_fields = ["agency", "kept", "actor", "merged_ids", "snapshot", "moved", "created_at"]
    fields = readonly_fields

    @admin.display(description="Merged")
    def merged_count(self, record: BuyerMerge) -> int:
        return len(record.merged_ids)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
