"""The ops dashboard in the Django admin: job flow, queue, calls and reconciliation at a glance.

Every figure comes from a few grouped queries over the last ``DAYS`` days (UTC days: ops work
across agencies); charts are SVG rendered on the server by pygal, with no script from anywhere.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pygal
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from pygal.style import DefaultStyle

from calls.models import AppCallStatus, ExotelCall, MobileAppCall
from meetings.models import Job, JobStatus

DAYS = 7
STATUS_ORDER = [JobStatus.INIT, JobStatus.IN_PROGRESS, JobStatus.COMPLETED, JobStatus.FAILURE]


@dataclass(frozen=True)
class DashboardStats:
    days: list[date]
    jobs_by_day: dict[str, list[int]]  # status → count per day
    waiting_jobs: int
    running_jobs: int
    oldest_waiting_seconds: int | None
    calls_by_agency: dict[str, list[int]]  # agency → calls per day
    exotel_calls: int
    exotel_matched: int
    answered_app_calls: int
    answered_app_calls_matched: int
    unmatched_exotel: int
    unmatched_app_calls: int
    failure_reasons: list[tuple[str, int]]

    @property
    def match_rate(self) -> float | None:
        total = self.exotel_calls + self.answered_app_calls
        if not total:
            return None
        return round(100 * (self.exotel_matched + self.answered_app_calls_matched) / total, 1)


def _per_day(rows: list[dict[str, Any]], days: list[date], key: str) -> dict[str, list[int]]:
    index = {day: i for i, day in enumerate(days)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for row in rows:
        if row["day"] in index:
            series[str(row[key])][index[row["day"]]] += row["n"]
    return dict(series)


def dashboard_stats(*, now=None) -> DashboardStats:
    now = now or timezone.now()
    today = now.date()
    days = [today - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
    since = now - timedelta(days=DAYS)

    job_rows = list(
        Job.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
    )
    queue = Job.objects.aggregate(
        waiting=Count("id", filter=Q(status=JobStatus.INIT)),
        running=Count("id", filter=Q(status=JobStatus.IN_PROGRESS)),
        oldest=Min("created_at", filter=Q(status=JobStatus.INIT)),
    )
    app_rows = list(
        MobileAppCall.objects.filter(start_time__gte=since)
        .annotate(day=TruncDate("start_time"))
        .values("day", "seller__agency__name")
        .annotate(n=Count("id"))
    )
    exotel_rows = list(
        ExotelCall.objects.filter(start_time__gte=since, mobile_call__isnull=True)
        .annotate(day=TruncDate("start_time"))
        .values("day", "agency__name")
        .annotate(n=Count("id"))
    )
    calls = _per_day(
        [{"day": r["day"], "agency": r["seller__agency__name"], "n": r["n"]} for r in app_rows]
        + [{"day": r["day"], "agency": r["agency__name"], "n": r["n"]} for r in exotel_rows],
        days,
        "agency",
    )
    exotel = ExotelCall.objects.filter(created_at__gte=since).aggregate(
        total=Count("id"),
        matched=Count("id", filter=Q(meeting__isnull=False)),
        unmatched=Count("id", filter=Q(meeting__isnull=True)),
    )
    answered = MobileAppCall.objects.filter(
        created_at__gte=since, status=AppCallStatus.PROCESSING
    ).aggregate(
        total=Count("id"),
        matched=Count("id", filter=Q(meeting__isnull=False)),
        unmatched=Count("id", filter=Q(meeting__isnull=True)),
    )
    reasons = Counter(
        dict(
            Job.objects.filter(status=JobStatus.FAILURE, updated_at__gte=since)
            .values_list("error")
            .annotate(n=Count("id"))
            .values_list("error", "n")
        )
    )
    oldest = queue["oldest"]
    return DashboardStats(
        days=days,
        jobs_by_day=_per_day(job_rows, days, "status"),
        waiting_jobs=queue["waiting"],
        running_jobs=queue["running"],
        oldest_waiting_seconds=int((now - oldest).total_seconds()) if oldest else None,
        calls_by_agency=calls,
        exotel_calls=exotel["total"],
        exotel_matched=exotel["matched"],
        answered_app_calls=answered["total"],
        answered_app_calls_matched=answered["matched"],
        unmatched_exotel=exotel["unmatched"],
        unmatched_app_calls=answered["unmatched"],
        failure_reasons=[(reason or "(no message)", n) for reason, n in reasons.most_common(10)],
    )


# init, in progress, completed, failure: grey, blue, green, red
JOB_COLORS = ("#9e9e9e", "#1e88e5", "#43a047", "#e53935")


def _chart(
    chart_class,
    title: str,
    labels: list[str],
    series: dict[str, list[int]],
    colors: tuple[str, ...] | None = None,
) -> str:
    style = DefaultStyle(colors=colors) if colors else DefaultStyle()
    chart = chart_class(
        style=style,
        js=[],  # no tooltip script from a CDN: the SVG stands alone
        disable_xml_declaration=True,
        title=title,
        height=320,
        width=760,
        legend_at_bottom=True,
        show_y_guides=True,
        print_values=False,
    )
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    if not series:
        chart.add("none", [0] * len(labels))
    return chart.render(is_unicode=True)


def dashboard_charts(stats: DashboardStats) -> dict[str, str]:
    labels = [day.strftime("%a %d %b") for day in stats.days]
    jobs = {
        status.label: stats.jobs_by_day.get(status.value, [0] * len(labels))
        for status in STATUS_ORDER
    }
    match = pygal.Pie(
        style=DefaultStyle(colors=("#43a047", "#fb8c00")),
        js=[],
        disable_xml_declaration=True,
        title="Reconciliation",
        height=320,
        width=420,
        inner_radius=0.5,
        legend_at_bottom=True,
    )
    match.add("matched", stats.exotel_matched + stats.answered_app_calls_matched)
    match.add("waiting", stats.unmatched_exotel + stats.unmatched_app_calls)
    return {
        "jobs": _chart(
            pygal.StackedBar, f"Jobs by status, last {DAYS} days", labels, jobs, JOB_COLORS
        ),
        "calls": _chart(
            pygal.StackedBar,
            f"Calls per day per agency, last {DAYS} days",
            labels,
            stats.calls_by_agency,
        ),
        "match": match.render(is_unicode=True),
    }


@staff_member_required
def ops_dashboard(request: HttpRequest) -> HttpResponse:
    from django.contrib import admin

    stats = dashboard_stats()
    charts = {name: mark_safe(svg) for name, svg in dashboard_charts(stats).items()}  # noqa: S308  (pygal output, escaped by pygal)
    context = {
        **admin.site.each_context(request),
        "title": "Ops dashboard",
        "stats": stats,
        "charts": charts,
        "days": DAYS,
    }
    return TemplateResponse(request, "admin/ops_dashboard.html", context)
