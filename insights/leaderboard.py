"""The team scorecard: per seller, what they did in a period and how it compares, ranked.

Every figure comes from a grouped statement per source (calls, meetings' talk time and scores,
actions, stages, warnings), never a query per seller.
"""

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum

from actions.models import Action, ActionStatus
from agencies.book_services import LIFECYCLE_RANK
from agencies.models import BuyerLifecycleChange
from chirpworks.exceptions import ForbiddenError
from chirpworks.timeframes import DateRange
from insights.models import DealWarning
from meetings.models import Meeting
from rollups.analytics import call_counts_by_seller
from sellers.access_selectors import SellerScope, scope_team
from sellers.models import Role, Seller

MAX_DAYS = 366
DEFAULT_DAYS_BACK = 30
SORT_KEYS = (
    "avg_call_score",
    "calls",
    "answered_calls",
    "talk_time_seconds",
    "actions_completed_on_time",
    "buyers_moved_forward",
    "warnings_open",
)


def leaderboard_scope(*, actor: Seller, team_member_ids=None) -> SellerScope:
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        raise ForbiddenError("The leaderboard is for managers and admins", code="not_a_manager")
    return scope_team(actor=actor, team_member_ids=team_member_ids)


def _scores(scope: SellerScope, start, end) -> dict[uuid.UUID, float]:
    rows = (
        Meeting.objects.filter(scope.q(), start_time__gte=start, start_time__lt=end)
        .filter(performance__overall_score__isnull=False)
        .values("seller_id")
        .annotate(avg=Avg("performance__overall_score"))
    )
    return {row["seller_id"]: round(row["avg"], 2) for row in rows}


def _moved_forward(scope: SellerScope, date_range: DateRange) -> dict[uuid.UUID, int]:
    """Buyers moved forward in the lifecycle in the period, per seller: by the seller of the
    meeting whose analysis moved them, or the seller who moved them by hand."""
    changes = (
        BuyerLifecycleChange.objects.filter(
            created_at__gte=date_range.start,
            created_at__lt=date_range.end,
            buyer__agency_id=scope.agency_id,
            buyer__deleted_at__isnull=True,
        )
        .values_list("buyer_id", "from_state", "to_state", "meeting__seller_id", "actor_id")
        .order_by()
    )
    moved: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for buyer_id, before, after, meeting_seller, actor in changes:
        seller_id = meeting_seller or actor
        if seller_id is None or not scope.allows(seller_id):
            continue
        if LIFECYCLE_RANK.get(after, -1) > LIFECYCLE_RANK.get(before, -1) >= 0:
            moved[seller_id].add(buyer_id)
    return {seller_id: len(buyers) for seller_id, buyers in moved.items()}


def leaderboard(*, scope: SellerScope, date_range: DateRange, sort: str) -> list[dict[str, Any]]:
    sellers = list(scope.sellers().order_by("name", "id"))
    counts = call_counts_by_seller(scope=scope, date_range=date_range)
    talk = dict(
        Meeting.objects.filter(
            scope.q(),
            start_time__gte=date_range.start,
            start_time__lt=date_range.end,
            end_time__isnull=False,
        )
        .values("seller_id")
        .annotate(
            talk=Sum(
                ExpressionWrapper(F("end_time") - F("start_time"), output_field=DurationField())
            )
        )
        .values_list("seller_id", "talk")
    )
    length = date_range.end - date_range.start
    scores = _scores(scope, date_range.start, date_range.end)
    previous = _scores(scope, date_range.start - length, date_range.start)
    done = Action.objects.filter(
        scope.q(),
        status=ActionStatus.COMPLETED,
        completed_at__gte=date_range.start,
        completed_at__lt=date_range.end,
    ).values("seller_id")
    actions = {
        row["seller_id"]: row
        for row in done.annotate(
            completed=Count("id"),
            on_time=Count(
                "id", filter=Q(due_date__isnull=True) | Q(completed_at__lte=F("due_date"))
            ),
        )
    }
    moved = _moved_forward(scope, date_range)
    warnings = dict(
        DealWarning.objects.filter(scope.q())
        .values("seller_id")
        .annotate(n=Count("id"))
        .values_list("seller_id", "n")
    )
    rows = []
    for seller in sellers:
        c = counts.get(seller.pk)
        score, before = scores.get(seller.pk), previous.get(seller.pk)
        talk_time = talk.get(seller.pk) or timedelta(0)
        rows.append(
            {
                "seller_id": seller.pk,
                "seller_name": seller.name,
                "calls": (c.outgoing + c.incoming) if c else 0,
                "answered_calls": (c.outgoing_answered + c.incoming_answered) if c else 0,
                "talk_time_seconds": int(talk_time.total_seconds()),
                "avg_call_score": score,
                "previous_avg_call_score": before,
                "score_trend": round(score - before, 2)
                if score is not None and before is not None
                else None,
                "actions_completed": actions.get(seller.pk, {}).get("completed", 0),
                "actions_completed_on_time": actions.get(seller.pk, {}).get("on_time", 0),
                "buyers_moved_forward": moved.get(seller.pk, 0),
                "warnings_open": warnings.get(seller.pk, 0),
            }
        )
    # Warnings rank the fewest first; everything else the most first. Missing scores go last.
    reverse = sort != "warnings_open"
    rows.sort(
        key=lambda r: (
            r[sort] is None,
            -(r[sort] or 0) if reverse else (r[sort] or 0),
            r["seller_name"],
        )
    )
    rank, last = 0, object()
    for position, row in enumerate(rows, start=1):
        if row[sort] != last:
            rank, last = position, row[sort]
        row["rank"] = rank
    return rows
