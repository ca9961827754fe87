"""Reads on the buyer book: who may change a buyer, its timeline, its audit trail, duplicates.

Who may do what (a buyer another agency owns, or one the caller may not see, is always 404):
- edit, tag, note: a seller who sees the buyer (``buyer_selectors.buyers_visible``: a seller of
  theirs met, added or last contacted it), their manager, an admin; never a guest;
- delete: an admin, or the manager of the buyer's seller (``buyer_owner_id``);
- restore: an admin;
- merge: an admin, or a manager who manages the seller of every buyer involved;
- audit trail: an admin, or a manager who sees the buyer.
"""

import re
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from actions.models import Action, ActionStatus
from agencies.book_services import AUDIT_ACTIONS
from agencies.models import (
    Buyer,
    BuyerLifecycleChange,
    BuyerMerge,
    BuyerNote,
    BuyerPhone,
)
from chirpworks.exceptions import ForbiddenError, NotFoundError
from chirpworks.phones import phone_denorm
from insights.buyer_selectors import buyers_visible
from meetings.models import Meeting
from sellers.access_selectors import scope_visible, seller_can_manage
from sellers.models import Role, Seller

PROFILE_NOTES = 20
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
# Audit actions the timeline shows as edits (notes, lifecycle changes and merges have their own
# entries; the analysis is shown through its call).
TIMELINE_EDITS = ("create", "edit", "tags", "delete", "restore")


def _not_found() -> NotFoundError:
    return NotFoundError("Buyer not found", code="buyer_not_found")


def buyer_owner_id(buyer: Buyer) -> uuid.UUID | None:
    """The buyer's seller: whoever contacted them last, else whoever added them."""
    return buyer.last_contacted_by_id or buyer.created_by_id


def _visible(actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    buyer = (
        buyers_visible(scope=scope_visible(actor=actor), buyer_id=buyer_id)
        .select_related("agency")
        .first()
    )
    if buyer is None:
        raise _not_found()
    return buyer


def buyer_get_writable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    """A buyer the caller may edit, tag or note: one they see, and they are not a guest."""
    buyer = _visible(actor, buyer_id)
    if actor.role == Role.GUEST:
        raise ForbiddenError("Guests have read-only access", code="not_allowed")
    return buyer


def _manages(actor: Seller, owner_id: uuid.UUID | None) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return owner_id is not None and seller_can_manage(actor=actor, seller_id=owner_id)


def buyer_get_deletable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    buyer = _visible(actor, buyer_id)
    if not _manages(actor, buyer_owner_id(buyer)):
        raise ForbiddenError(
            "Only an admin or the manager of the buyer's seller may delete a buyer",
            code="not_allowed",
        )
    return buyer


def buyer_get_restorable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    """A deleted buyer of the caller's agency, for an admin."""
    buyer = Buyer.objects.filter(
        agency_id=actor.agency_id, pk=buyer_id, deleted_at__isnull=False
    ).first()
    if buyer is None:
        raise _not_found()
    if actor.role != Role.ADMIN:
        raise ForbiddenError("Only an admin may restore a buyer", code="not_allowed")
    return buyer


def buyers_get_mergeable(
    *, actor: Seller, keep_id: uuid.UUID, merge_ids: list[uuid.UUID]
) -> tuple[Buyer, list[Buyer]]:
    ids = {keep_id, *merge_ids}
    found = {b.pk: b for b in buyers_visible(scope=scope_visible(actor=actor)).filter(pk__in=ids)}
    if found.keys() != ids:
        raise _not_found()
    if not all(_manages(actor, buyer_owner_id(b)) for b in found.values()):
        raise ForbiddenError(
            "Only an admin or the manager of every buyer's seller may merge them",
            code="not_allowed",
        )
    return found[keep_id], [found[pk] for pk in merge_ids]


def buyer_get_auditable(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    """Admins read any buyer's trail (a deleted one's too); a manager the buyers they see."""
    if actor.role == Role.ADMIN:
        buyer = Buyer.objects.filter(agency_id=actor.agency_id, pk=buyer_id).first()
        if buyer is None:
            raise _not_found()
        return buyer
    buyer = _visible(actor, buyer_id)
    if actor.role != Role.MANAGER:
        raise ForbiddenError(
            "Only an admin or a manager may read the audit trail", code="not_allowed"
        )
    return buyer


def meeting_get_notable(*, actor: Seller, meeting_id: uuid.UUID) -> Meeting:
    """A meeting the caller may note: theirs, their team's (manager) or the agency's (admin),
    of a buyer that is not deleted; never for a guest."""
    meeting = (
        Meeting.objects.filter(
            scope_visible(actor=actor).q(),
            agency_id=actor.agency_id,
            pk=meeting_id,
            buyer__deleted_at__isnull=True,
        )
        .select_related("buyer")
        .first()
    )
    if meeting is None:
        raise NotFoundError("Meeting not found or unauthorized", code="meeting_not_found")
    if actor.role == Role.GUEST:
        raise ForbiddenError("Guests have read-only access", code="not_allowed")
    return meeting


# --- Profile ----------------------------------------------------------------------------------


def _actor(kind: str, seller_id: Any = None, name: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "id": str(seller_id) if seller_id else None, "name": name}


def note_row(note: BuyerNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "text": note.text,
        "kind": note.kind,
        "meeting_id": note.meeting_id,
        "created_at": timezone.localtime(note.created_at),
        "author": _actor(
            "user" if note.author_id else "system",
            note.author_id,
            note.author.name if note.author_id else None,
        ),
    }


def buyer_book_details(*, buyer: Buyer) -> dict[str, Any]:
    """What the profile adds from the book: lifecycle, tags, profile fields, notes, numbers."""
    notes = BuyerNote.objects.filter(buyer=buyer).select_related("author")[:PROFILE_NOTES]
    return {
        "lifecycle": buyer.lifecycle,
        "tags": list(buyer.tag_names or []),
        "profile": buyer.profile or {},
        "notes": [note_row(note) for note in notes],
        "alternate_phones": [
            phone_denorm(phone)
            for phone in BuyerPhone.objects.filter(buyer=buyer).values_list("phone", flat=True)
        ],
    }


# --- Timeline ----------------------------------------------------------------------------------


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
    out: dict[tuple[str, str], dict[str, Any]] = {}
    local = timezone.localtime
    if by_kind.get("call"):
        for m in Meeting.objects.filter(pk__in=map(_uuid, by_kind["call"])).select_related(
            "seller"
        ):
            out[("call", _ref(m.pk))] = {
                "type": "call",
                "id": m.pk,
                "occurred_at": local(m.start_time),
                "actor": _actor("user", m.seller_id, m.seller.name),
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
    action_refs = {*by_kind.get("action_created", []), *by_kind.get("action_completed", [])}
    if action_refs:
        for a in Action.objects.filter(pk__in=map(_uuid, action_refs)).select_related("seller"):
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
                "actor": _actor("analysis"),
                "data": data,
            }
            out[("action_completed", _ref(a.pk))] = {
                "type": "action_completed",
                "id": a.pk,
                "occurred_at": local(a.updated_at),
                "actor": _actor("user", a.seller_id, a.seller.name),
                "data": data,
            }
    if by_kind.get("lifecycle"):
        for c in BuyerLifecycleChange.objects.filter(
            pk__in=map(_uuid, by_kind["lifecycle"])
        ).select_related("actor"):
            kind = {"user": "user", "analysis": "analysis"}.get(c.cause, "system")
            out[("lifecycle", _ref(c.pk))] = {
                "type": "lifecycle",
                "id": c.pk,
                "occurred_at": local(c.created_at),
                "actor": _actor(kind, c.actor_id, c.actor.name if c.actor_id else None),
                "data": {
                    "from": c.from_state,
                    "to": c.to_state,
                    "cause": c.cause,
                    "meeting_id": c.meeting_id,
                },
            }
    if by_kind.get("note"):
        for n in BuyerNote.objects.filter(pk__in=map(_uuid, by_kind["note"])).select_related(
            "author"
        ):
            row = note_row(n)
            out[("note", _ref(n.pk))] = {
                "type": "note",
                "id": n.pk,
                "occurred_at": row["created_at"],
                "actor": row["author"],
                "data": {"text": n.text, "kind": n.kind, "meeting_id": n.meeting_id},
            }
    if by_kind.get("edit"):
        for entry in _audit_entries([int(ref) for ref in by_kind["edit"]]):
            out[("edit", str(entry["id"]))] = {
                "type": "edit",
                "id": str(entry["id"]),
                "occurred_at": entry["at"],
                "actor": entry["actor"],
                "data": {"action": entry["action"], "fields": entry["fields"]},
            }
    if by_kind.get("merge"):
        for r in BuyerMerge.objects.filter(pk__in=map(_uuid, by_kind["merge"])).select_related(
            "actor"
        ):
            out[("merge", _ref(r.pk))] = {
                "type": "merge",
                "id": r.pk,
                "occurred_at": local(r.created_at),
                "actor": _actor(
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


# --- Audit trail -------------------------------------------------------------------------------


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
        "actor": _actor(
            "user" if user else kind if kind != "user" else "system",
            user.pk if user else None,
            user.name if user else None,
        ),
        "fields": fields,
    }


def _audit_entries(history_ids: list[int]) -> list[dict[str, Any]]:
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
    return (_audit_entries(ids) if ids else []), total


# --- Duplicates --------------------------------------------------------------------------------

# How sure each reason makes a pair, for ranking groups.
DUPLICATE_REASONS = {
    "same_phone_digits": 0.95,
    "same_email": 0.9,
    "phone_heard": 0.8,
    "same_name_and_company": 0.7,
}
MAX_GROUPS = 100


def _name_key(value: str) -> str:
    return " ".join(re.findall(r"[0-9a-z]+", (value or "").casefold()))


def buyer_duplicates(*, actor: Seller) -> list[dict[str, Any]]:
    """Groups of buyers the caller sees that are likely one person, most certain first, each
    with its reasons: the same name and company, the same email, numbers that differ only in
    format (the same last ten digits), or a number the analysis heard on a call being another
    buyer's. One query for the buyers, one for their rows."""
    rows = list(
        buyers_visible(scope=scope_visible(actor=actor)).values_list(
            "pk", "name", "company_name", "email", "phone", "profile__phones_heard__value"
        )
    )
    by_key: dict[tuple[str, str], list[uuid.UUID]] = defaultdict(list)
    by_phone = {}
    for pk, name, company, email, phone, _ in rows:
        by_phone[phone] = pk
        if email:
            by_key[("same_email", email.strip().casefold())].append(pk)
        if _name_key(name) and _name_key(company):
            by_key[("same_name_and_company", f"{_name_key(name)}|{_name_key(company)}")].append(pk)
        digits = re.sub(r"\D", "", phone)[-10:]
        if len(digits) == 10:
            by_key[("same_phone_digits", digits)].append(pk)
    pairs: list[tuple[str, list[uuid.UUID]]] = [
        (reason, pks) for (reason, _), pks in by_key.items() if len(pks) > 1
    ]
    for pk, _, _, _, _, heard in rows:
        for phone in heard if isinstance(heard, list) else []:
            other = by_phone.get(phone)
            if other and other != pk:
                pairs.append(("phone_heard", [pk, other]))

    parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(x: uuid.UUID) -> uuid.UUID:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, pks in pairs:
        for other in pks[1:]:
            parent[find(other)] = find(pks[0])
    groups: dict[uuid.UUID, dict[str, Any]] = {}
    for reason, pks in pairs:
        group = groups.setdefault(find(pks[0]), {"ids": set(), "reasons": {}})
        group["ids"].update(pks)
        group["reasons"].setdefault(reason, set()).update(pks)
    if not groups:
        return []
    wanted = {pk for g in groups.values() for pk in g["ids"]}
    buyers = Buyer.objects.filter(pk__in=wanted).select_related("last_contacted_by").in_bulk()
    answer = []
    for group in groups.values():
        reasons = [
            {"reason": reason, "buyer_ids": sorted(str(pk) for pk in pks)}
            for reason, pks in sorted(
                group["reasons"].items(), key=lambda item: -DUPLICATE_REASONS[item[0]]
            )
        ]
        members = sorted(
            (buyers[pk] for pk in group["ids"]),
            key=lambda b: (
                b.last_contacted_at is None,
                -(b.last_contacted_at or timezone.now()).timestamp(),
                str(b.pk),
            ),
        )
        answer.append(
            {
                "score": max(DUPLICATE_REASONS[r["reason"]] for r in reasons),
                "reasons": reasons,
                "buyers": [
                    {
                        "id": b.pk,
                        "name": b.name or None,
                        "phone": phone_denorm(b.phone),
                        "email": b.email or None,
                        "company_name": b.company_name or None,
                        "lifecycle": b.lifecycle,
                        "last_contacted_at": timezone.localtime(b.last_contacted_at)
                        if b.last_contacted_at
                        else None,
                    }
                    for b in members
                ],
            }
        )
    answer.sort(key=lambda g: (-g["score"], -len(g["buyers"]), str(g["buyers"][0]["id"])))
    return answer[:MAX_GROUPS]
