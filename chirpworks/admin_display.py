"""Read-only renderings for the admin: transcripts as timed lines, analysis fields as bullets,
tables and a stage badge, times in the agency's timezone; JSON pretty-printed as a last resort.

Everything goes through ``format_html`` / ``format_html_join``, so stored text (a transcript, a
webhook payload) is always escaped.
"""

import json
import uuid
from datetime import datetime, tzinfo
from typing import Any

from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

EMPTY = "-"
PRE_STYLE = "white-space: pre-wrap; max-height: 40em; overflow: auto; margin: 0"


def pretty_json(value: Any) -> SafeString | str:
    """``value`` as indented JSON in a ``<pre>``; "-" when empty."""
    if value in (None, "", [], {}):
        return EMPTY
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return format_html('<pre style="{}">{}</pre>', PRE_STYLE, text)


def clock(seconds: Any) -> str:
    """Seconds into the call as ``mm:ss`` (minutes keep counting past an hour)."""
    try:
        total = max(0, int(float(seconds)))
    except (TypeError, ValueError):
        return "--:--"
    return f"{total // 60:02d}:{total % 60:02d}"


def transcript_lines(segments: Any) -> SafeString | str:
    """A transcript as ``[mm:ss] Speaker (role): text`` lines in a ``<pre>``; "-" when empty."""
    if not segments:
        return EMPTY
    if not isinstance(segments, list):
        return pretty_json(segments)
    lines = []
    for segment in segments:
        if not isinstance(segment, dict):
            lines.append(("--:--", "?", "?", str(segment)))
            continue
        lines.append(
            (
                clock(segment.get("start")),
                segment.get("speaker") or "Unknown speaker",
                segment.get("role") or "unknown",
                segment.get("text") or "",
            )
        )
    body = format_html_join("\n", "[{}] {} ({}): {}", lines)
    return format_html('<pre style="{}">{}</pre>', PRE_STYLE, body)


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def admin_link(model: type[models.Model], pk: Any, label: Any) -> SafeString | str:
    """A link to the admin change page of ``model`` row ``pk`` (built without a query)."""
    if pk is None:
        return EMPTY
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, label)


class IdSearchMixin:
    """Admin search that also finds rows by a pasted UUID (ids appear in logs and API errors).

    ``id_search_fields`` are the UUID fields matched exactly when the search term is a UUID.
    """

    id_search_fields: tuple[str, ...] = ("pk",)

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            value = uuid.UUID(search_term.strip())
        except ValueError:
            return found, may_have_duplicates
        by_id = Q()
        for field in self.id_search_fields:
            by_id |= Q(**{field: value})
        return found | queryset.filter(by_id), may_have_duplicates


# --- Times in the agency's timezone ---------------------------------------------------------


def tz_label(tz: tzinfo, at: datetime | None = None) -> str:
    """``IST (Asia/Kolkata)``: the abbreviation at ``at`` (or now) and the zone's name."""
    abbreviation = (at or timezone.now()).astimezone(tz).tzname() or ""
    name = getattr(tz, "key", str(tz))
    return f"{abbreviation} ({name})" if abbreviation and abbreviation != name else name


def local_time(value: datetime | None, tz: tzinfo | None, *, short: bool = False) -> str:
    """``value`` in ``tz`` with the zone shown: ``Tue 01 Dec 2026, 14:12:43 IST`` (``short``:
    ``01 Dec 14:12 IST``, for change lists). Seconds are shown on change pages, so a short
    call's start and end differ."""
    if value is None:
        return EMPTY
    local = value.astimezone(tz) if tz else value
    pattern = "%d %b %H:%M" if short else "%a %d %b %Y, %H:%M:%S"
    return format_html(
        '<time datetime="{}" title="{}">{} {}</time>',
        value.isoformat(),
        tz_label(tz, value) if tz else "UTC",
        local.strftime(pattern),
        local.tzname() or "",
    )


class AgencyTimezoneMixin:
    """A change page shows every time (read-only fields and inlines) in the row's agency's
    timezone, named in the page's subtitle. ``agency_timezone(obj)`` finds the zone."""

    def agency_timezone(self, obj) -> tzinfo | None:
        agency = getattr(obj, "agency", None)
        return agency.tzinfo if agency is not None else None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        tz = self.agency_timezone(obj) if obj is not None else None
        if tz is None:
            return super().change_view(request, object_id, form_url, extra_context)
        extra_context = {**(extra_context or {}), "subtitle": f"{obj} · times in {tz_label(tz)}"}
        with timezone.override(tz):
            response = super().change_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # inside the override: the template formats the times
        return response


# --- Analysis fields as readable HTML -------------------------------------------------------

LIST_STYLE = "margin: 0; padding-left: 1.2em"
TABLE_STYLE = "border-collapse: collapse; width: auto"
STAGE_COLORS = {
    "Discovery & Lead Qualification": "#607d8b",
    "Solution Presentation / Demo": "#1e88e5",
    "Stakeholder Alignment": "#8e24aa",
    "Negotiation / Approval": "#fb8c00",
    "Likely Won": "#43a047",
    "Likely Lost": "#e53935",
}


def _label(key: Any) -> str:
    return str(key).replace("_", " ").capitalize()


def _scalar(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def bullets(items: Any) -> SafeString | str:
    """A list as bullets (``<ul>``); an object in it as ``key: value; …``; "-" when empty."""
    if items in (None, "", [], {}):
        return EMPTY
    if not isinstance(items, list):
        items = [items]
    rows = []
    for item in items:
        if isinstance(item, dict):
            item = "; ".join(f"{_label(k)}: {_scalar(v)}" for k, v in item.items())
        rows.append((_scalar(item),))
    # The bullet is set on each item: the admin's form CSS takes it off list items.
    items_html = format_html_join("", '<li style="list-style: disc">{}</li>', rows)
    return format_html('<ul style="{}">{}</ul>', LIST_STYLE, items_html)


def table(rows: Any, columns: list[tuple[str, str]] | None = None) -> SafeString | str:
    """A list of objects as a table; ``columns`` are (key, heading), else every key seen."""
    if not rows:
        return EMPTY
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return bullets(rows)
    if columns is None:
        keys: list[str] = []
        for row in rows:
            keys += [k for k in row if k not in keys]
        columns = [(k, _label(k)) for k in keys]
    head = format_html_join("", "<th>{}</th>", ((heading,) for _, heading in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((_cell(row.get(key)),) for key, _ in columns)),)
            for row in rows
        ),
    )
    return format_html(
        '<table style="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        TABLE_STYLE,
        head,
        body,
    )


def _cell(value: Any) -> SafeString | str:
    if isinstance(value, list):
        return (
            ", ".join(
                str(v.get("name") or v.get("feature_name") or _scalar(v))
                if isinstance(v, dict)
                else str(v)
                for v in value
            )
            or EMPTY
        )
    return _scalar(value) or EMPTY


def details(value: Any) -> SafeString | str:
    """Any stored analysis value, readably: text, bullets, a table, or a key/value table."""
    if value in (None, "", [], {}):
        return EMPTY
    if isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, list):
        return table(value) if all(isinstance(v, dict) for v in value) else bullets(value)
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td></tr>",
        (
            (_label(k), details(v) if isinstance(v, list | dict) else _scalar(v))
            for k, v in value.items()
        ),
    )
    return format_html('<table style="{}"><tbody>{}</tbody></table>', TABLE_STYLE, rows)


def stage_badge(deal_stage: Any) -> SafeString | str:
    """The deal stage as a coloured badge, with the signals and the reasoning as bullets."""
    if not deal_stage:
        return EMPTY
    if not isinstance(deal_stage, dict):
        deal_stage = {"deal_stage": deal_stage}
    stage = str(deal_stage.get("deal_stage") or deal_stage.get("stage") or "Unknown")
    badge = format_html(
        '<span class="deal-stage" style="display: inline-block; padding: 2px 10px; '
        'border-radius: 10px; color: #fff; font-weight: bold; background: {}">{}</span>',
        STAGE_COLORS.get(stage, "#757575"),
        stage,
    )
    parts = [badge]
    for key, heading in (("stage_signals", "Signals"), ("stage_reasoning", "Why")):
        if deal_stage.get(key):
            parts.append(
                format_html("<p><strong>{}</strong></p>{}", heading, bullets(deal_stage[key]))
            )
    return format_html_join("", "{}", ((part,) for part in parts))
