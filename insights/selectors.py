"""Reads of the stored insights, scoped like every other list: one page in a constant number of
queries, whatever the number of buyers or warnings."""

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from actions.models import Action
from agencies.models import Buyer
from calls.models import MobileAppCall
from insights.models import BuyerInsight, DealWarning
from meetings.models import Meeting
from sellers.access_selectors import SellerScope, scope_team, scope_visible
from sellers.models import Seller


def insight_scope(
    *, actor: Seller, team_member_ids: Iterable[uuid.UUID] | None = None
) -> SellerScope:
    """A seller: their own buyers; a manager: ``team_member_ids`` or their whole team and
    themselves; an admin: the given sellers or the agency."""
    if team_member_ids:
        return scope_team(actor=actor, team_member_ids=team_member_ids)
    return scope_visible(actor=actor)


def call_next_list(*, scope: SellerScope) -> QuerySet[BuyerInsight]:
    """Buyers worth a call, best first (a score of 0 has nothing to act on)."""
    return (
        BuyerInsight.objects.filter(scope.q("seller"), score__gt=0, buyer__deleted_at__isnull=True)
        .select_related("buyer", "next_action")
        .order_by("-score", "-last_contacted_at", "buyer_id")
    )


def warning_list(
    *, scope: SellerScope, kind: str | None = None, seller_id: uuid.UUID | None = None
) -> QuerySet[DealWarning]:
    warnings = DealWarning.objects.filter(scope.q("seller"), buyer__deleted_at__isnull=True)
    if kind:
        warnings = warnings.filter(kind=kind)
    if seller_id:
        warnings = warnings.filter(seller_id=seller_id)
    return warnings.select_related("buyer").order_by("-since", "id")


def buyer_ids_behind(*, kind: str, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The buyers whose insights an entity change may move."""
    if kind == "buyer":
        return list(Buyer.objects.filter(pk__in=ids).values_list("id", flat=True))
    if kind == "meeting":
        return list(Meeting.objects.filter(pk__in=ids).values_list("buyer_id", flat=True))
    if kind == "action":
        return list(Action.objects.filter(pk__in=ids).values_list("buyer_id", flat=True))
    if kind == "mobile_call":
        calls = MobileAppCall.objects.filter(pk__in=ids).values_list(
            "seller__agency_id", "buyer_number"
        )
        pairs = set(calls)
        if not pairs:
            return []
        phones = {phone for _, phone in pairs}
        agencies = {agency for agency, _ in pairs}
        return [
            buyer_id
            for buyer_id, agency_id, phone in Buyer.objects.filter(
                agency_id__in=agencies, phone__in=phones
            ).values_list("id", "agency_id", "phone")
            if (agency_id, phone) in pairs
        ]
    return []
