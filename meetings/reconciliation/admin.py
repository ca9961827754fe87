"""The calls' admin pages with reconciliation's action: calls are shown by ``calls.admin``, turned
into meetings here (the layer above them)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from calls.admin import ExotelCallAdmin, MobileAppCallAdmin
from calls.models import ExotelCall, MobileAppCall
from meetings.reconciliation.services import calls_reconcile


def _reconcile_selected(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    rows = list(queryset.exclude(seller__isnull=True).values_list("pk", "seller_id"))
    result = calls_reconcile(
        seller_ids={seller_id for _, seller_id in rows}, force_ids=[pk for pk, _ in rows]
    )
    modeladmin.message_user(
        request,
        f"{result.meetings} meetings created ({result.matched} matched, {result.app_only} "
        f"app-only, {result.exotel_only} Exotel-only), {result.late_recordings} late "
        f"recordings attached, {result.skipped} skipped (no buyer number).",
        messages.SUCCESS,
    )


_reconcile_selected.short_description = "Reconcile selected (now, ignoring the grace period)"


admin.site.unregister(MobileAppCall)
admin.site.unregister(ExotelCall)


@admin.register(MobileAppCall)
class MobileAppCallReconcileAdmin(MobileAppCallAdmin):
    actions = [*MobileAppCallAdmin.actions, _reconcile_selected]


@admin.register(ExotelCall)
class ExotelCallReconcileAdmin(ExotelCallAdmin):
    actions = [*ExotelCallAdmin.actions, _reconcile_selected]
