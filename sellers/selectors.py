"""Reads on sellers, including the access rules every endpoint shares.

Teams follow the ``manager`` chain: a manager's team is everyone whose chain of managers leads to
them. An agency's manager graph is small, so it is read in one query and walked in memory.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from chirpworks.exceptions import ForbiddenError, NotFoundError
from sellers.models import Role, Seller


def _manager_map(agency_id: uuid.UUID | None) -> dict[uuid.UUID, uuid.UUID | None]:
    return dict(Seller.objects.filter(agency_id=agency_id).values_list("id", "manager_id"))


def seller_chain_ids(*, seller: Seller) -> list[uuid.UUID]:
    """The seller's managers, nearest first (stops if the data ever holds a cycle)."""
    managers = _manager_map(seller.agency_id)
    chain: list[uuid.UUID] = []
    current = managers.get(seller.pk)
    while current is not None and current not in chain and current != seller.pk:
        chain.append(current)
        current = managers.get(current)
    return chain


def seller_team_ids(*, manager: Seller) -> set[uuid.UUID]:
    """Everyone whose manager chain leads to ``manager`` (not the manager themselves)."""
    reports: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for seller_id, manager_id in _manager_map(manager.agency_id).items():
        if manager_id is not None:
            reports[manager_id].append(seller_id)
    team: set[uuid.UUID] = set()
    pending = list(reports[manager.pk])
    while pending:
        seller_id = pending.pop()
        if seller_id in team or seller_id == manager.pk:
            continue
        team.add(seller_id)
        pending.extend(reports[seller_id])
    return team


def seller_visible_ids(*, actor: Seller) -> set[uuid.UUID] | None:
    """The sellers whose data ``actor`` may read; ``None`` means the whole agency (admins)."""
    if actor.role == Role.ADMIN:
        return None
    if actor.role == Role.MANAGER:
        return {actor.pk} | seller_team_ids(manager=actor)
    return {actor.pk}


def seller_visible_queryset(*, actor: Seller) -> QuerySet[Seller]:
    sellers = Seller.objects.filter(agency_id=actor.agency_id)
    visible = seller_visible_ids(actor=actor)
    return sellers if visible is None else sellers.filter(pk__in=visible)


def seller_resolve_team_members(
    *, actor: Seller, team_member_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Validate a manager's ``team_member_ids``: each must be in their team, else 403.

    An id that is not a seller of the caller's agency answers 404, as a missing one does.
    """
    requested = set(team_member_ids)
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        raise ForbiddenError(
            "'team_member_ids' query parameter is only applicable for a manager",
            code="not_a_manager",
        )
    allowed = seller_visible_ids(actor=actor)
    if allowed is None:
        allowed = set(seller_visible_queryset(actor=actor).values_list("id", flat=True))
    outside = requested - allowed
    if outside:
        in_agency = Seller.objects.filter(agency_id=actor.agency_id, pk__in=outside).count()
        if in_agency < len(outside):
            raise NotFoundError("Seller not found", code="seller_not_found")
        raise ForbiddenError("team_member_ids must be members of your team", code="not_in_team")
    return requested
