"""Read-only renderings for the admin: JSON pretty-printed and transcripts as timed lines.

Everything goes through ``format_html`` / ``format_html_join``, so stored text (a transcript, a
webhook payload) is always escaped.
"""

import json
import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse
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
