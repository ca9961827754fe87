"""Reads on actions, scoped by the seller the action belongs to."""

import uuid
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone

from actions.models import Action, ActionStatus
from agencies.deleted import live_buyer_q
from chirpworks.exceptions import NotFoundError
from chirpworks.fastrows import as_text, collector_paused, json_fragment, utc_datetime, uuid_text
from chirpworks.phones import phone_denorm, phone_raw
from sellers.access_selectors import SellerScope, scope_requested, scope_visible
from sellers.models import Seller

# Ids, timestamps and JSON come as text (``chirpworks.fastrows``): with the ORM's per-value
# conversion a list of thousands of actions cost several times its query.
_ROW_COLUMNS = (
    as_text("id"),
    "title",
    as_text("due_date"),
    "status",
    as_text("description"),
    as_text("meeting_id"),
    "meeting__title",
    "meeting__buyer__phone",
    "meeting__buyer__name",
    "meeting__seller__name",
    "reasoning",
    as_text("signals"),
    as_text("created_at"),
    as_text("buyer_id"),
    "buyer__name",
    "buyer__phone",
    "buyer__company_name",
)
NEWEST_DUE_FIRST = (F("due_date").asc(nulls_last=True), F("created_at").desc(), F("id").asc())


def _local(value: str | None, tz: tzinfo) -> datetime | None:
    return utc_datetime(value).astimezone(tz) if value else None


def action_row(row: tuple, tz: tzinfo) -> dict[str, Any]:
    """The contract's Action from a ``values_list(*_ROW_COLUMNS)`` row: one query for any count."""
    (
        pk,
        title,
        due_date,
        status,
        description,
        meeting_id,
        meeting_title,
        meeting_buyer_phone,
        meeting_buyer_name,
        meeting_seller_name,
        reasoning,
        signals,
        created_at,
        buyer_id,
        buyer_name,
        buyer_phone,
        buyer_company_name,
    ) = row
    return {
        "id": uuid_text(pk),
        "title": title,
        "due_date": _local(due_date, tz),
        "status": status,
        "description": json_fragment(description),
        "meeting_id": uuid_text(meeting_id),
        "meeting_title": meeting_title,
        "meeting_buyer_number": phone_denorm(meeting_buyer_phone),
        "meeting_buyer_name": meeting_buyer_name or None,
        "meeting_seller_name": meeting_seller_name,
        "reasoning": reasoning,
        "signals": json_fragment(signals),
        "created_at": _local(created_at, tz),
        "buyer_id": uuid_text(buyer_id),
        "buyer_name": buyer_name or None,
        "buyer_phone": phone_raw(buyer_phone),
        "buyer_company_name": buyer_company_name or None,
    }


def action_rows(queryset: QuerySet[Action]) -> list[dict[str, Any]]:
    """The contract's Actions of ``queryset``, ready for the renderer (JSON as fragments)."""
    tz = timezone.get_current_timezone()
    with collector_paused():
        return [action_row(row, tz) for row in queryset.values_list(*_ROW_COLUMNS)]


def actions_in_scope(*, scope: SellerScope) -> QuerySet[Action]:
    # A deleted buyer's actions are hidden with it.
    return Action.objects.filter(scope.q(), live_buyer_q(agency_id=scope.agency_id))


def action_list(
    *,
    actor: Seller,
    team_member_ids: list[uuid.UUID] | None = None,
    status: str | None = None,
    meeting_id: uuid.UUID | None = None,
) -> QuerySet[Action]:
    """The caller's actions (or their team members'), due first, undated last, newest first."""
    scope = scope_requested(actor=actor, team_member_ids=team_member_ids)
    # An action's seller is its meeting's (set from it; a meeting never changes seller). Saying
    # so lets PostgreSQL join only these sellers' meetings instead of hashing every meeting.
    actions = actions_in_scope(scope=scope).filter(scope.q("meeting__seller"))
    if status:
        actions = actions.filter(status=status)
    if meeting_id:
        actions = actions.filter(meeting_id=meeting_id)
    return actions.order_by(*NEWEST_DUE_FIRST)


def action_get_visible(*, actor: Seller, action_id: uuid.UUID) -> Action:
    action = actions_in_scope(scope=scope_visible(actor=actor)).filter(pk=action_id).first()
    if action is None:
        raise NotFoundError("Action not found or unauthorized", code="action_not_found")
    return action


def action_row_get(*, action: Action) -> dict[str, Any]:
    return action_rows(Action.objects.filter(pk=action.pk))[0]


def buyer_actions(*, actor: Seller, buyer_id: uuid.UUID) -> QuerySet[Action]:
    """A buyer's actions the caller may see: pending first, then by due date (undated last)."""
    pending_first = Case(
        When(status=ActionStatus.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        actions_in_scope(scope=scope_visible(actor=actor))
        .filter(buyer_id=buyer_id)
        .order_by(pending_first, *NEWEST_DUE_FIRST)
    )


def buyer_pending_actions_count(*, actor: Seller, buyer_id: uuid.UUID) -> int:
    return (
        actions_in_scope(scope=scope_visible(actor=actor))
        .filter(buyer_id=buyer_id, status=ActionStatus.PENDING)
        .count()
    )
