"""A manager's team at a glance: each member with their call and action counts."""

from typing import Any

from django.db.models import Count, Q

from actions.models import Action, ActionStatus
from agencies.deleted import live_buyer_q
from chirpworks.exceptions import ForbiddenError
from chirpworks.phones import phone_denorm
from chirpworks.timeframes import DateRange
from rollups.analytics import CallCounts, call_counts_by_seller
from sellers.access_selectors import scope_team
from sellers.models import Role, Seller


def team_overview(*, actor: Seller, date_range: DateRange) -> list[dict[str, Any]]:
    """The team (a manager's reports, an admin's agency) in four queries, whatever its size.

    Calls follow the analytics counting rules over ``date_range``; ``actions_count`` counts the
    actions of calls in the range, ``pending_actions_count`` every pending action.
    """
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        raise ForbiddenError("Only a manager or an admin has a team", code="not_a_manager")
    scope = scope_team(actor=actor)
    sellers = list(scope.sellers().exclude(pk=actor.pk).order_by("name", "pk"))
    calls = call_counts_by_seller(scope=scope, date_range=date_range)
    in_range = Q(meeting__start_time__gte=date_range.start, meeting__start_time__lt=date_range.end)
    actions = {
        row["seller_id"]: row
        for row in Action.objects.filter(scope.q(), live_buyer_q(agency_id=scope.agency_id))
        .values("seller_id")
        .annotate(
            in_range=Count("id", filter=in_range),
            pending=Count("id", filter=Q(status=ActionStatus.PENDING)),
        )
        .order_by()
    }
    team = []
    for seller in sellers:
        counts = calls.get(seller.pk, CallCounts())
        action_counts = actions.get(seller.pk, {})
        team.append(
            {
                "id": seller.pk,
                "name": seller.name,
                "email": seller.email,
                "phone": phone_denorm(seller.phone),
                "role": seller.role,
                "manager_id": seller.manager_id,
                "calls_count": counts.outgoing + counts.incoming,
                "answered_calls_count": counts.outgoing_answered + counts.incoming_answered,
                "actions_count": action_counts.get("in_range", 0),
                "pending_actions_count": action_counts.get("pending", 0),
            }
        )
    return team
