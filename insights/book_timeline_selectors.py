"""Reads on the buyer book: a buyer's timeline (calls, actions, lifecycle, notes, edits, merges)."""

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from actions.models import Action, ActionStatus
from agencies.models import Buyer, BuyerLifecycleChange, BuyerMerge, BuyerNote
from insights.book_audit_selectors import HistoricalBuyer, audit_entries
from insights.book_selectors import actor_row, note_row
from meetings.models import Meeting
from sellers.access_selectors import scope_visible
from sellers.models import Seller

# Audit actions the timeline shows as edits (notes, lifecycle changes and merges have their own
# entries; the analysis is shown through its call).
TIMELINE_EDITS = ("create", "edit", "tags", "delete", "restore")


def _keys(queryset: QuerySet, kind: str, at: str, ref: str = "pk") -> QuerySet:
    return (
        queryset.order_by()
        .annotate(t_kind=Value(kind, output_field=TextField()), t_ref=Cast(ref, TextField()))
        .values_list(at, "t_kind", "t_ref")
    )


def _timeline_sources(actor: Seller, buyer: Buyer) -> list[QuerySet]:
    scope = scope_visible(actor=actor)
    meetings = Meeting.objects.filter(scope.q(), buyer=buyer)
    actions = Action.objects.filter(scope.q(), buyer=buyer)
    notes = BuyerNote.objects.filter(buyer=buyer).filter(
        Q(meeting__isnull=True) | Q(meeting__in=meetings.values("pk"))
    )
    edit_reasons = Q(history_type="+")
    for action in TIMELINE_EDITS:
        edit_reasons |= Q(history_change_reason__startswith=f"{action}|")
    edits = HistoricalBuyer.objects.filter(edit_reasons, id=buyer.pk)
    return [
        _keys(meetings, "call", "start_time"),
        _keys(actions, "action_created", "created_at"),
        _keys(actions.filter(status=ActionStatus.COMPLETED), "action_completed", "updated_at"),
        _keys(BuyerLifecycleChange.objects.filter(buyer=buyer), "lifecycle", "created_at"),
        _keys(notes, "note", "created_at"),
        _keys(edits, "edit", "history_date", "history_id"),
        _keys(BuyerMerge.objects.filter(kept=buyer), "merge", "created_at"),
    ]


def buyer_timeline(
    *, actor: Seller, buyer: Buyer, number: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the buyer's events, newest first, and their count: calls, actions created
    and completed, lifecycle changes, notes, edits and merges, each with its actor.

    The page's keys and the count come from one pass over a UNION of the sources (``COUNT(*)
    OVER ()``); then each kind's rows of that page are read: at most eight queries, whatever
    the number of events.
    """
    first, *rest = _timeline_sources(actor, buyer)
    keys = first.union(*rest, all=True)
    union_sql, params = keys.query.sql_with_params()
    offset = (number - 1) * limit
    # Only the ORM's own compiled SQL is interpolated; the page bounds are parameters.
    sql = (
        f"SELECT events.*, COUNT(*) OVER () FROM ({union_sql}) events "  # noqa: S608
        "ORDER BY 1 DESC, 3 DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        page = cursor.fetchall()
    total = page[0][3] if page else (keys.count() if offset else 0)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for _, kind, ref, _ in page:
        by_kind[kind].append(ref)
    details = _timeline_details(by_kind)
    return [details[(kind, ref)] for _, kind, ref, _ in page if (kind, ref) in details], total


def _uuid(ref: str) -> uuid.UUID:
    return uuid.UUID(ref)


def _timeline_details(by_kind: dict[str, list[str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The page's events by (kind, ref): one query per kind on the page."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    action_refs = [*by_kind.get("action_created", []), *by_kind.get("action_completed", [])]
    readers: list[tuple[list[str], Callable[[list[str]], dict]]] = [
        (by_kind.get("call", []), _call_events),
        (action_refs, _action_events),
        (by_kind.get("lifecycle", []), _lifecycle_events),
        (by_kind.get("note", []), _note_events),
        (by_kind.get("edit", []), _edit_events),
        (by_kind.get("merge", []), _merge_events),
    ]
    for refs, read in readers:
        if refs:
            out.update(read(refs))
    return out


def _call_events(refs: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for m in Meeting.objects.filter(pk__in=map(_uuid, refs)).select_related("seller"):
        out[("call", _ref(m.pk))] = {
            "type": "call",
            "id": m.pk,
            "occurred_at": timezone.localtime(m.start_time),
            "actor": actor_row("user", m.seller_id, m.seller.name),
            "data": {
                "meeting_id": m.pk,
                "title": m.title,
                "direction": m.direction or None,
                "duration_seconds": m.duration_seconds,
                "deal_stage": (m.deal_stage or {}).get("deal_stage")
                if isinstance(m.deal_stage, dict)
                else m.deal_stage,
            },
        }
    return out


def _action_events(refs: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    local = timezone.localtime
    for a in Action.objects.filter(pk__in=map(_uuid, set(refs))).select_related("seller"):
        data = {
            "action_id": a.pk,
            "title": a.title,
            "status": a.status,
            "meeting_id": a.meeting_id,
            "due_date": local(a.due_date) if a.due_date else None,
        }
        out[("action_created", _ref(a.pk))] = {
            "type": "action_created",
            "id": a.pk,
            "occurred_at": local(a.created_at),
            "actor": actor_row("analysis"),
            "data": data,
        }
        out[("action_completed", _ref(a.pk))] = {
            "type": "action_completed",
            "id": a.pk,
            "occurred_at": local(a.updated_at),
            "actor": actor_row("user", a.seller_id, a.seller.name),
            "data": data,
        }
    return out


def _lifecycle_events(refs: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    changes = BuyerLifecycleChange.objects.filter(pk__in=map(_uuid, refs)).select_related("actor")
    for c in changes:
        kind = {"user": "user", "analysis": "analysis"}.get(c.cause, "system")
        out[("lifecycle", _ref(c.pk))] = {
            "type": "lifecycle",
            "id": c.pk,
            "occurred_at": timezone.localtime(c.created_at),
            "actor": actor_row(kind, c.actor_id, c.actor.name if c.actor_id else None),
            "data": {
                "from": c.from_state,
                "to": c.to_state,
                "cause": c.cause,
                "meeting_id": c.meeting_id,
            },
        }
    return out


def _note_events(refs: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for n in BuyerNote.objects.filter(pk__in=map(_uuid, refs)).select_related("author"):
        row = note_row(n)
        out[("note", _ref(n.pk))] = {
            "type": "note",
            "id": n.pk,
            "occurred_at": row["created_at"],
            "actor": row["author"],
            "data": {"text": n.text, "kind": n.kind, "meeting_id": n.meeting_id},
        }
    return out


def _edit_events(refs: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for entry in audit_entries([int(ref) for ref in refs]):
        out[("edit", str(entry["id"]))] = {
            "type": "edit",
            "id": str(entry["id"]),
            "occurred_at": entry["at"],
            "actor": entry["actor"],
            "data": {"action": entry["action"], "fields": entry["fields"]},
        }
    return out


def _merge_events(refs: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for r in BuyerMerge.objects.filter(pk__in=map(_uuid, refs)).select_related("actor"):
        out[("merge", _ref(r.pk))] = {
            "type": "merge",
            "id": r.pk,
            "occurred_at": timezone.localtime(r.created_at),
            "actor": actor_row(
                "user" if r.actor_id else "system",
                r.actor_id,
                r.actor.name if r.actor_id else None,
            ),
            "data": {"merged_ids": r.merged_ids, "moved": r.moved},
        }
    return out


def _ref(pk: uuid.UUID) -> str:
    """A UUID as the database's text cast wrote it (SQLite: 32 hex digits)."""
    return str(pk) if connection.vendor == "postgresql" else pk.hex
