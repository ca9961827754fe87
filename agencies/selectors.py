import uuid

from django.db.models import QuerySet

from agencies.models import Agency
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
