from django.db import IntegrityError, transaction

from agencies.models import Agency
from chirpworks.exceptions import ConflictError


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
