"""Who may read whose data: one scope object every list, detail and analytics selector filters by.

Seller and guest: their own rows. Manager: their own and their team's. Admin: the whole agency.
A manager (or admin) narrows a view with ``team_member_ids``; an id outside their reach is 403.
Another agency's seller is 404, exactly as a missing one.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from chirpworks.exceptions import ForbiddenError, NotFoundError
from sellers.models import Role, Seller
from sellers.selectors import seller_resolve_team_members, seller_team_ids, seller_visible_ids


@dataclass(frozen=True)
class SellerScope:
    agency_id: uuid.UUID
    seller_ids: frozenset[uuid.UUID] | None  # None: every seller of the agency

    def q(self, seller_field: str = "seller") -> Q:
        """A filter on a model with a ``seller_field`` foreign key to Seller."""
        if self.seller_ids is None:
            return Q(**{f"{seller_field}__agency_id": self.agency_id})
        return Q(**{f"{seller_field}_id__in": self.seller_ids})

    def allows(self, seller_id: uuid.UUID) -> bool:
        return self.seller_ids is None or seller_id in self.seller_ids

    def sellers(self):
        sellers = Seller.objects.filter(agency_id=self.agency_id)
        return sellers if self.seller_ids is None else sellers.filter(pk__in=self.seller_ids)


def scope_visible(*, actor: Seller) -> SellerScope:
    """Everything ``actor`` may read."""
    visible = seller_visible_ids(actor=actor)
    return SellerScope(
        agency_id=actor.agency_id, seller_ids=None if visible is None else frozenset(visible)
    )


def scope_requested(
    *, actor: Seller, team_member_ids: Iterable[uuid.UUID] | None = None
) -> SellerScope:
    """The sellers a list view shows: ``team_member_ids`` (checked) or else the caller alone."""
    ids = set(team_member_ids or ())
    ids = seller_resolve_team_members(actor=actor, team_member_ids=ids) if ids else {actor.pk}
    return SellerScope(agency_id=actor.agency_id, seller_ids=frozenset(ids))


def scope_team(*, actor: Seller, team_member_ids: Iterable[uuid.UUID] | None = None) -> SellerScope:
    """A team view's sellers: given ids (checked), else a manager's team or an admin's agency."""
    ids = set(team_member_ids or ())
    if ids:
        ids = seller_resolve_team_members(actor=actor, team_member_ids=ids)
        return SellerScope(agency_id=actor.agency_id, seller_ids=frozenset(ids))
    if actor.role == Role.ADMIN:
        return SellerScope(agency_id=actor.agency_id, seller_ids=None)
    if actor.role == Role.MANAGER:
        return SellerScope(
            agency_id=actor.agency_id, seller_ids=frozenset(seller_team_ids(manager=actor))
        )
    return SellerScope(agency_id=actor.agency_id, seller_ids=frozenset({actor.pk}))


def seller_get_visible(*, actor: Seller, seller_id: uuid.UUID) -> Seller:
    """A seller of the caller's agency (else 404) whose data the caller may read (else 403)."""
    seller = Seller.objects.filter(pk=seller_id, agency_id=actor.agency_id).first()
    if seller is None:
        raise NotFoundError("Seller not found", code="seller_not_found")
    if not scope_visible(actor=actor).allows(seller.pk):
        raise ForbiddenError("Unauthorized access to seller data", code="not_in_team")
    return seller


def seller_can_manage(*, actor: Seller, seller_id: uuid.UUID) -> bool:
    """Admins manage the whole agency; a manager manages their team (not themselves)."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MANAGER:
        return seller_id in seller_team_ids(manager=actor)
    return False
