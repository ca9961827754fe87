from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chirpworks.admin_display import pretty_json, shorten
from search.models import SearchDocument, SearchQueryLog


class ReadOnlyAdminMixin:
    """Derived data: browsable, never edited by hand (rebuild_search_index recreates it)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SearchDocument)
class SearchDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["type", "entity_kind", "short_text", "agency", "occurred_at", "updated_at"]
    list_filter = ["type", "entity_kind", "agency"]
    list_select_related = ["agency"]
    search_fields = ["text", "=entity_id", "=meeting_id", "=buyer_id"]
    date_hierarchy = "updated_at"
    exclude = ["embedding"]
    readonly_fields = ["pretty_meta"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("embedding")

    @admin.display(description="text")
    def short_text(self, document: SearchDocument) -> str:
        return shorten(document.text, 120)

    @admin.display(description="meta")
    def pretty_meta(self, document: SearchDocument) -> str:
        return pretty_json(document.meta)


@admin.register(SearchQueryLog)
class SearchQueryLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "query",
        "endpoint",
        "intent",
        "results_count",
        "duration_ms",
        "seller",
        "agency",
        "created_at",
    ]
    list_filter = ["endpoint", "intent", "agency"]
    list_select_related = ["agency", "seller"]
    search_fields = ["query"]
    date_hierarchy = "created_at"
