from typing import Any

from django.db import IntegrityError, transaction

from agencies.buyer_selectors import buyer_search_cache_invalidate
from agencies.models import Agency, Buyer
from chirpworks.exceptions import ConflictError
from chirpworks.phones import phone_parse


def agency_create(
    *,
    name: str,
    description: str = "",
    timezone: str = "Asia/Kolkata",
    default_phone_region: str = "IN",
) -> Agency:
    name = name.strip()
    if Agency.objects.filter(name__iexact=name).exists():
        raise ConflictError("Agency already exists", code="agency_exists")
    agency = Agency(
        name=name,
        description=description,
        timezone=timezone,
        default_phone_region=default_phone_region.upper(),
    )
    agency.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            agency.save()
    except IntegrityError as exc:
        raise ConflictError("Agency already exists", code="agency_exists") from exc
    return agency


def agency_update_description(*, agency: Agency, description: str) -> Agency:
    agency.description = description
    agency.save(update_fields=["description", "updated_at"])
    return agency


BUYER_PROFILE_FIELDS = ("risks", "products_discussed", "key_highlights")


def buyer_create(
    *,
    agency: Agency,
    name: str,
    phone: str,
    email: str = "",
    company_name: str = "",
    risks: list | None = None,
    products_discussed: list | None = None,
    key_highlights: list | None = None,
) -> Buyer:
    """A new buyer of ``agency``; the phone (any format) must not be the agency's already (409)."""
    buyer = Buyer(
        agency=agency,
        name=name.strip(),
        phone=phone_parse(phone, region=agency.default_phone_region),
        email=email or "",
        company_name=company_name or "",
        risks=risks or [],
        products_discussed=products_discussed or [],
        key_highlights=key_highlights or [],
    )
    if Buyer.objects.filter(agency=agency, phone=buyer.phone).exists():
        raise ConflictError("A buyer with this phone already exists", code="buyer_exists")
    buyer.full_clean(exclude=["agency", "last_contacted_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            buyer.save()
    except IntegrityError as exc:  # a concurrent create of the same phone
        raise ConflictError("A buyer with this phone already exists", code="buyer_exists") from exc
    buyer_search_cache_invalidate(agency_id=agency.pk)
    return buyer


def buyer_update_profile(*, buyer: Buyer, data: dict[str, Any]) -> Buyer:
    """Replace any of ``risks``, ``products_discussed``, ``key_highlights``; nulls are ignored.

    Shared by the app (seller token) and the processing workers (service token).
    """
    changed = [field for field in BUYER_PROFILE_FIELDS if field in data and data[field] is not None]
    for field in changed:
        setattr(buyer, field, data[field])
    if changed:
        with transaction.atomic():
            buyer.save(update_fields=[*changed, "updated_at"])
        buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer
