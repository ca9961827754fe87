from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from chirpworks.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the workers' periodic heartbeat task."""

    list_display = ["hostname", "seen_at", "alive"]
    search_fields = ["hostname"]
    date_hierarchy = "seen_at"
    ordering = ["-seen_at"]

    @admin.display(boolean=True, description="Seen recently (counted by the health check)")
    def alive(self, heartbeat: WorkerHeartbeat) -> bool:
        max_age = timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
        return heartbeat.seen_at >= timezone.now() - max_age

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# The ops console's change lists are wide (meetings, jobs): the page's width goes to them, not
# to a second copy of the app list (the home page and the breadcrumbs lead everywhere).
admin.site.enable_nav_sidebar = False
