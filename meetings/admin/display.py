"""What the meetings app's admin pages share: deferred columns, read-only inlines, the ops
actions' reports, metrics and warnings as HTML."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from chirpworks.admin_display import EMPTY
from meetings.job_services import jobs_retry, meetings_trigger_analysis
from meetings.models import PERFORMANCE_METRICS, CallPerformance

# The meeting's large JSON columns: not loaded for change lists (they show none of them).
MEETING_HEAVY_FIELDS = (
    "transcription",
    "summary",
    "key_discussion_points",
    "type",
    "detected_call_type",
    "detected_products",
    "qa_pairs",
    "facts",
    "deal_stage",
    "risks",
    "analysis_extras",
)

PERFORMANCE_HEAVY_FIELDS = (
    *PERFORMANCE_METRICS,
    "product_details_analysis",
    "objection_handling_analysis",
    "overall_performance_summary",
)


def _is_changelist(request: HttpRequest) -> bool:
    match = request.resolver_match
    return bool(match and match.url_name and match.url_name.endswith("_changelist"))


class ChangeListDeferMixin:
    """Change lists skip the big JSON columns (``changelist_defer``) their rows never show."""

    changelist_defer: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if _is_changelist(request):
            queryset = queryset.defer(*self.changelist_defer)
        return queryset


def report_retry(modeladmin, request: HttpRequest, job_ids: list) -> None:
    result = jobs_retry(job_ids=job_ids)
    modeladmin.message_user(
        request,
        f"{len(result.retried)} failed job(s) queued again, {len(result.resent)} waiting job(s) "
        f"re-sent to the queue; skipped {len(result.no_recording)} with no recording and "
        f"{len(result.skipped)} in progress or completed.",
        messages.SUCCESS if result.retried or result.resent else messages.WARNING,
    )


def report_analysis(modeladmin, request: HttpRequest, meeting_ids: list) -> None:
    result = meetings_trigger_analysis(meeting_ids=meeting_ids)
    message = f"Re-analysis queued for {len(result.queued)} meeting(s)."
    skipped = [
        (len(result.no_transcript), "without a transcript"),
        (len(result.not_ready), "whose job is not completed or in progress"),
    ]
    if any(count for count, _ in skipped):
        message += " Skipped " + " and ".join(
            f"{count} {reason}" for count, reason in skipped if count
        )
        message += ": " + ", ".join((result.no_transcript + result.not_ready)[:20])
        message += "…" if len(result.no_transcript) + len(result.not_ready) > 20 else "."
    modeladmin.message_user(
        request, message, messages.SUCCESS if result.queued else messages.WARNING
    )


class ReadOnlyInlineMixin:
    """An inline that shows related rows for reference; they change through their own services."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def metrics_table(performance: CallPerformance) -> str:
    rows = []
    for name in PERFORMANCE_METRICS:
        metric = getattr(performance, name) or {}
        rows.append(
            (
                name.replace("_", " "),
                metric.get("score", EMPTY) if isinstance(metric, dict) else EMPTY,
                (metric.get("reason") or "") if isinstance(metric, dict) else "",
            )
        )
    body = format_html_join(
        "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows
    )  # every value escaped
    return format_html(
        "<table><thead><tr><th>Metric</th><th>Score</th><th>Reason</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        body,
    )


def warnings_html(warnings) -> str:
    """A meeting's processing warnings, one line each: code, channel, message."""
    if not warnings:
        return EMPTY
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            "<li><strong>{}</strong> ({}): {}</li>",
            (
                (w.get("code", "?"), w.get("channel", "-"), w.get("message", ""))
                for w in warnings
                if isinstance(w, dict)
            ),
        ),
    )
