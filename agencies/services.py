from django.db import IntegrityError, transaction

from agencies.models import Agency, Buyer
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


# --- Buyer profile from call analysis (processing pipeline, issue 4) ---
BUYER_PROFILE_LIMIT = 20


def buyer_apply_analysis(
    *,
    buyer: Buyer,
    meeting_id: str,
    risks: list[dict],
    products_discussed: list[dict],
    key_highlights: list[str],
) -> Buyer:
    """Fold one meeting's analysis into the buyer's profile (newest first, idempotent).

    Entries carry the meeting id, so re-analysing a meeting replaces its own entries instead of
    adding duplicates; products are merged by id (or name) and keep the latest interest level.
    """
    meeting_id = str(meeting_id)

    def others(items: list) -> list:
        return [i for i in items if not (isinstance(i, dict) and i.get("meeting_id") == meeting_id)]

    new_risks = [{**risk, "meeting_id": meeting_id} for risk in risks]
    buyer.risks = (new_risks + others(buyer.risks or []))[:BUYER_PROFILE_LIMIT]

    def product_key(item: dict) -> str:
        return str(item.get("product_id") or item.get("product_name", "")).casefold()

    fresh = [{**p, "meeting_id": meeting_id} for p in products_discussed if product_key(p)]
    fresh_keys = {product_key(p) for p in fresh}
    older = [
        p
        for p in others(buyer.products_discussed or [])
        if isinstance(p, dict) and product_key(p) not in fresh_keys
    ]
    buyer.products_discussed = (fresh + older)[:BUYER_PROFILE_LIMIT]

    highlights = [h for h in key_highlights if isinstance(h, str) and h.strip()]
    older_highlights = [h for h in buyer.key_highlights or [] if h not in highlights]
    buyer.key_highlights = (highlights + older_highlights)[:BUYER_PROFILE_LIMIT]
    buyer.save(update_fields=["risks", "products_discussed", "key_highlights", "updated_at"])
    return buyer
