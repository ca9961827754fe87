"""Filters that keep deleted buyers out of every read: their meetings, actions and app calls.

A deleted buyer (soft-deleted, or merged away) is hidden everywhere until restored. Lists,
analytics and search filter with these: an uncorrelated ``NOT IN`` over the agency's deleted
buyers, read from a small partial index, so the filter costs next to nothing when none are.
"""

import uuid

from django.db.models import Q, QuerySet

from agencies.models import Buyer, BuyerPhone


def deleted_buyer_ids(*, agency_id: uuid.UUID | None = None) -> QuerySet:
    buyers = Buyer.objects.filter(deleted_at__isnull=False)
    if agency_id is not None:
        buyers = buyers.filter(agency_id=agency_id)
    return buyers.order_by().values("pk")


def deleted_buyer_phones(*, agency_id: uuid.UUID | None = None) -> list[QuerySet]:
    """The numbers of deleted buyers that no live buyer answers to (their own, alternates)."""
    deleted = Buyer.objects.filter(deleted_at__isnull=False, merged_into__isnull=True)
    alternates = BuyerPhone.objects.filter(buyer__deleted_at__isnull=False)
    if agency_id is not None:
        deleted = deleted.filter(agency_id=agency_id)
        alternates = alternates.filter(agency_id=agency_id)
    return [deleted.order_by().values("phone"), alternates.order_by().values("phone")]


def live_buyer_q(field: str = "buyer", *, agency_id: uuid.UUID | None = None) -> Q:
    """Rows whose ``field`` (a Buyer foreign key) is not a deleted buyer."""
    return ~Q(**{f"{field}_id__in": deleted_buyer_ids(agency_id=agency_id)})


def live_number_q(field: str = "buyer_number", *, agency_id: uuid.UUID | None = None) -> Q:
    """App calls whose number is not a deleted buyer's."""
    q = Q()
    for phones in deleted_buyer_phones(agency_id=agency_id):
        q &= ~Q(**{f"{field}__in": phones})
    return q
