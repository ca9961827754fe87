"""Reads on the buyer book: a buyer's audit trail, each write with its fields before and after.

The rows are django-simple-history's ``HistoricalBuyer``; each one's ``history_change_reason``
is ``"<action>|<actor kind>|<detail>"`` (``agencies.book_services.AUDIT_ACTIONS``).
"""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from agencies.book_services import AUDIT_ACTIONS
from agencies.models import Buyer
from insights.book_selectors import actor_row

HistoricalBuyer = Buyer.history.model

# The fields an audit row compares with the row before it.
AUDITED_FIELDS = (
    "phone",
    "name",
    "email",
    "company_name",
    "lifecycle",
    "lifecycle_cause",
    "tag_names",
    "profile",
    "risks",
    "products_discussed",
    "key_highlights",
    "deleted_at",
    "deleted_by_id",
    "merged_into_id",
    "created_by_id",
    "last_note_at",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _reason(text: str | None) -> tuple[str, str, str]:
    parts = (text or "").split("|", 2)
    if len(parts) == 3 and parts[0] in (*AUDIT_ACTIONS, "purge"):
        return parts[0], parts[1], parts[2]
    return "edit", "user", text or ""


def _audit_entry(row: Any, previous: Any) -> dict[str, Any]:
    action, kind, detail = _reason(row.history_change_reason)
    if row.history_type == "+":
        action = "create"
    elif row.history_type == "-":
        action = "purge"
    fields = {}
    for name in AUDITED_FIELDS:
        after = getattr(row, name)
        before = getattr(previous, name) if previous is not None else None
        if previous is None and after in (None, "", [], {}):
            continue
        if before != after:
            fields[name] = {"before": _jsonable(before), "after": _jsonable(after)}
    user = row.history_user
    return {
        "id": row.history_id,
        "at": timezone.localtime(row.history_date),
        "action": action,
        "detail": detail,
        "actor": actor_row(
            "user" if user else kind if kind != "user" else "system",
            user.pk if user else None,
            user.name if user else None,
        ),
        "fields": fields,
    }


def audit_entries(history_ids: list[int]) -> list[dict[str, Any]]:
    """Audit rows with the fields each changed: two queries (the rows, and the rows before)."""
    before = HistoricalBuyer.objects.filter(
        id=OuterRef("id"), history_date__lt=OuterRef("history_date")
    ).order_by("-history_date", "-history_id")
    rows = list(
        HistoricalBuyer.objects.filter(history_id__in=history_ids)
        .annotate(previous_id=Subquery(before.values("history_id")[:1]))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    previous_ids = [row.previous_id for row in rows if row.previous_id]
    previous = HistoricalBuyer.objects.in_bulk(previous_ids) if previous_ids else {}
    return [_audit_entry(row, previous.get(row.previous_id)) for row in rows]


def buyer_audit_trail(*, buyer: Buyer, number: int, limit: int) -> tuple[list[dict], int]:
    """One page of the buyer's audit rows, newest first, and their count: four queries."""
    rows = HistoricalBuyer.objects.filter(id=buyer.pk)
    total = rows.count()
    offset = (number - 1) * limit
    ids = list(
        rows.order_by("-history_date", "-history_id").values_list("history_id", flat=True)[
            offset : offset + limit
        ]
    )
    return (audit_entries(ids) if ids else []), total
