"""Writes on actions: the app's bulk status change and edits, and syncing a meeting's actions
with its analysis."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from actions.models import Action, ActionStatus
from actions.selectors import actions_in_scope
from chirpworks.exceptions import NotFoundError
from chirpworks.signals import KIND_ACTION, entities_changed_send
from chirpworks.updates import model_assign
from sellers.access_selectors import scope_visible
from sellers.models import Seller

if TYPE_CHECKING:  # actions sit below meetings: Action's FK reaches Meeting by its string name
    from meetings.models import Meeting

EDITABLE_FIELDS = ("title", "description", "due_date")
TITLE_MAX = 300


def action_bulk_update_status(*, actor: Seller, items: list[dict[str, Any]]) -> int:
    """Set each ``{id, status}``; all or nothing. The last status given for an id wins.

    Every id must be an action the caller may see (their own; a manager's team's; an admin's
    agency), else 404 naming the missing ids and nothing changes. Returns the actions updated.
    """
    wanted: dict[uuid.UUID, str] = {item["id"]: item["status"] for item in items}
    with transaction.atomic():
        found = set(
            actions_in_scope(scope=scope_visible(actor=actor))
            .select_for_update()
            .filter(pk__in=wanted)
            .values_list("pk", flat=True)
        )
        missing = [str(action_id) for action_id in wanted if action_id not in found]
        if missing:
            raise NotFoundError(
                f"Actions not found or unauthorized: {missing}",
                code="actions_not_found",
                extra={"missing_ids": missing},
            )
        by_status: dict[str, list[uuid.UUID]] = defaultdict(list)
        for action_id, status in wanted.items():
            by_status[status].append(action_id)
        now = timezone.now()
        for status, ids in by_status.items():
            # When it was done (kept if it already was): scorecards count actions done on time.
            completed_at = (
                Coalesce("completed_at", Value(now)) if status == ActionStatus.COMPLETED else None
            )
            Action.objects.filter(pk__in=ids).update(
                status=status, completed_at=completed_at, updated_at=now
            )
        entities_changed_send(sender=Action, kind=KIND_ACTION, ids=wanted)
    return len(wanted)


def action_update(*, action: Action, data: dict[str, Any]) -> Action:
    """Edit ``title``, ``description`` and ``due_date``; a text description becomes {"text"}."""
    if isinstance(data.get("description"), str):
        data = {**data, "description": {"text": data["description"]}}
    changed = model_assign(instance=action, fields=EDITABLE_FIELDS, data=data)
    if changed:
        # Related rows are unchanged: skip their existence checks.
        action.full_clean(exclude=["meeting", "seller", "buyer"], validate_unique=False)
        with transaction.atomic():
            action.save(update_fields=changed)
    return action


@dataclass(frozen=True)
class ActionProposal:
    """One action an analysis proposes for a meeting."""

    title: str
    type: str
    description: dict[str, Any] = field(default_factory=dict)
    due_date: datetime | None = None
    reasoning: str = ""
    signals: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ActionSyncResult:
    created_ids: list[str]
    updated_ids: list[str]
    deleted_ids: list[str]


def action_title_key(title: str) -> str:
    """Titles match case- and whitespace-insensitively."""
    return " ".join(title.split()).casefold()


@transaction.atomic
def action_sync_for_meeting(
    *, meeting: "Meeting", proposals: list[ActionProposal], types: Iterable[str]
) -> ActionSyncResult:
    """Make ``meeting``'s actions of ``types`` match ``proposals``, in place.

    An existing action with the same title (any type) is updated and keeps its id and status;
    new titles are created pending; pending actions of ``types`` that are no longer proposed are
    deleted. Completed actions are never deleted.
    """
    types = set(types)
    existing = list(
        Action.objects.select_for_update().filter(meeting=meeting).order_by("created_at")
    )
    by_title: dict[str, Action] = {}
    for action in existing:
        by_title.setdefault(action_title_key(action.title), action)

    seen: set[str] = set()
    to_create: list[Action] = []
    to_update: list[Action] = []
    for proposal in proposals:
        title = " ".join(proposal.title.split())[:TITLE_MAX]
        key = action_title_key(title)
        if not key or key in seen:
            continue  # one action per title
        seen.add(key)
        fields = {
            "type": proposal.type,
            "description": proposal.description,
            "due_date": proposal.due_date,
            "reasoning": proposal.reasoning,
            "signals": proposal.signals,
        }
        current = by_title.get(key)
        if current is None:
            to_create.append(
                Action(
                    meeting=meeting,
                    seller_id=meeting.seller_id,
                    buyer_id=meeting.buyer_id,
                    title=title,
                    status=ActionStatus.PENDING,
                    **fields,
                )
            )
        else:
            for name, value in fields.items():
                setattr(current, name, value)
            to_update.append(current)

    kept = {action.pk for action in to_update}
    stale = [
        action
        for action in existing
        if action.status == ActionStatus.PENDING and action.type in types and action.pk not in kept
    ]
    Action.objects.filter(pk__in=[a.pk for a in stale]).delete()
    now = timezone.now()
    for action in to_update:
        action.updated_at = now  # bulk_update skips auto_now
    if to_update:
        Action.objects.bulk_update(
            to_update, ["type", "description", "due_date", "reasoning", "signals", "updated_at"]
        )
    Action.objects.bulk_create(to_create)
    entities_changed_send(
        sender=Action, kind=KIND_ACTION, ids=[a.pk for a in [*to_create, *to_update]]
    )
    return ActionSyncResult(
        created_ids=[str(a.pk) for a in to_create],
        updated_ids=[str(a.pk) for a in to_update],
        deleted_ids=[str(a.pk) for a in stale],
    )
