import uuid

from django.db.models import QuerySet

from agencies.models import Agency, Buyer, BuyerPhone
from chirpworks.exceptions import ApplicationError, NotFoundError
from products.models import Product
from sellers.models import Seller


def agency_resolve(
    *, actor: Seller, agency_id: uuid.UUID | None = None, agency_name: str | None = None
) -> Agency:
    """The agency an admin endpoint acts on.

    ``agency_id`` / ``agency_name`` are the old selectors: at most one may be given, and it may only
    name the caller's own agency (staff may name any). With neither, the caller's agency is used.
    Another agency answers 404 exactly as a missing one does.
    """
    if agency_id and agency_name:
        raise ApplicationError(
            "Provide only one of agency_id or agency_name", code="ambiguous_agency"
        )
    if not agency_id and not agency_name:
        if actor.agency is None:
            raise ApplicationError("agency_id or agency_name is required", code="agency_required")
        return actor.agency

    agencies = Agency.objects.all()
    if not actor.is_staff:
        agencies = agencies.filter(pk=actor.agency_id)
    agency = (
        agencies.filter(pk=agency_id) if agency_id else agencies.filter(name__iexact=agency_name)
    ).first()
    if agency is None:
        raise NotFoundError("Agency not found", code="agency_not_found")
    return agency


def agency_names() -> list[str]:
    return list(Agency.objects.order_by("name").values_list("name", flat=True))


def agency_products(*, agency: Agency) -> QuerySet[Product]:
    return Product.objects.filter(agency=agency).order_by("name")


def agency_sellers(*, agency: Agency) -> QuerySet[Seller]:
    return Seller.objects.filter(agency=agency).order_by("name")


def product_get_for(*, actor: Seller, product_id: uuid.UUID) -> Product:
    products = Product.objects.select_related("agency")
    if not actor.is_staff:
        products = products.filter(agency_id=actor.agency_id)
    product = products.filter(pk=product_id).first()
    if product is None:
        raise NotFoundError("Product not found", code="product_not_found")
    return product


def buyers_route(*, agency_ids: set[uuid.UUID], phones: set[str]) -> dict[tuple, Buyer]:
    """``{(agency_id, phone): Buyer}`` of the live buyer each known number belongs to.

    A number is a buyer's own, a merged-away buyer's (followed to the buyer it went into) or an
    alternate. Two queries, whatever the count (a merge chain is followed in memory).
    """
    if not phones:
        return {}
    own = {
        (b.agency_id, b.phone): b
        for b in Buyer.objects.filter(agency_id__in=agency_ids, phone__any=phones)
    }
    alternates = {
        (p.agency_id, p.phone): p.buyer_id
        for p in BuyerPhone.objects.filter(agency_id__in=agency_ids, phone__any=phones)
    }
    needed = {b.merged_into_id for b in own.values() if b.merged_into_id} | set(alternates.values())
    targets: dict[uuid.UUID, Buyer] = {}
    while needed - targets.keys():
        fetched = Buyer.objects.filter(pk__any=needed - targets.keys())
        for buyer in fetched:
            targets[buyer.pk] = buyer
            if buyer.merged_into_id:
                needed.add(buyer.merged_into_id)
        if not fetched:
            break

    def live(buyer: Buyer) -> Buyer:
        seen = set()
        while buyer.merged_into_id and buyer.merged_into_id in targets and buyer.pk not in seen:
            seen.add(buyer.pk)
            buyer = targets[buyer.merged_into_id]
        return buyer

    routed = {key: live(buyer) for key, buyer in own.items()}
    for key, buyer_id in alternates.items():
        if key not in routed or routed[key].merged_into_id:
            routed[key] = live(targets[buyer_id]) if buyer_id in targets else routed.get(key)
    return {key: buyer for key, buyer in routed.items() if buyer is not None}
