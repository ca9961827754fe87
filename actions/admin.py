from django.contrib import admin
from django.http import HttpRequest

from actions.models import Action
from chirpworks.admin_display import (
    AgencyTimezoneMixin,
    IdSearchMixin,
    admin_link,
    details,
    local_time,
)

_FROM_THE_ANALYSIS = [
    "reasoning",
    "signals_view",
    "meeting_link",
    "seller",
    "buyer",
    "created_at",
    "updated_at",
]


@admin.register(Action)
class ActionAdmin(AgencyTimezoneMixin, IdSearchMixin, admin.ModelAdmin):
    list_display = ["title", "type", "status", "due", "seller", "buyer", "meeting_link"]
    list_filter = ["status", "type", "seller__agency"]
    # The meeting is linked by id alone: joining it would load its transcript for every row.
    list_select_related = ["seller__agency", "buyer"]
    search_fields = ["title", "seller__name", "seller__email", "buyer__phone", "buyer__name"]
    id_search_fields = ("pk", "meeting__pk")
    search_help_text = "Title, seller name or email, buyer phone or name; or an action/meeting id."
    date_hierarchy = "due_date"
    fields = ["title", "type", "status", "due_date", "description", *_FROM_THE_ANALYSIS]
    # Who and which meeting come from the analysis; the follow-up itself may be corrected.
    readonly_fields = ["type", *_FROM_THE_ANALYSIS]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def agency_timezone(self, action: Action):
        return action.seller.agency.tzinfo if action.seller.agency_id else None

    @admin.display(description="Due (agency time)", ordering="due_date")
    def due(self, action: Action) -> str:
        agency = action.seller.agency
        return local_time(action.due_date, agency.tzinfo if agency else None, short=True)

    @admin.display(description="Meeting")
    def meeting_link(self, action: Action) -> str:
        return admin_link(
            Action._meta.get_field("meeting").related_model, action.meeting_id, "Open meeting"
        )

    @admin.display(description="Signals")
    def signals_view(self, action: Action) -> str:
        return details(action.signals)
