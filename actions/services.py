"""Writes on actions: the app's bulk status change and edits."""

import uuid
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from actions.models import Action
from actions.selectors import actions_in_scope
from chirpworks.exceptions import NotFoundError
from sellers.access_selectors import scope_visible
from sellers.models import Seller

EDITABLE_FIELDS = ("title", "description", "due_date")


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
        for status, ids in by_status.items():
            Action.objects.filter(pk__in=ids).update(status=status, updated_at=timezone.now())
    return len(wanted)


def action_update(*, action: Action, data: dict[str, Any]) -> Action:
    """Edit ``title``, ``description`` and ``due_date``; a text description becomes {"text"}."""
    changed = [field for field in EDITABLE_FIELDS if field in data]
    for field in changed:
        value = data[field]
        if field == "description" and isinstance(value, str):
            value = {"text": value}
        setattr(action, field, value)
    if changed:
        # Related rows are unchanged: skip their existence checks.
        action.full_clean(exclude=["meeting", "seller", "buyer"], validate_unique=False)
        with transaction.atomic():
            action.save(update_fields=[*changed, "updated_at"])
    return action
