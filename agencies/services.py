import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.book_services import buyer_enrich_from_analysis
from agencies.buyer_search_cache import buyer_search_cache_invalidate
from agencies.deletion_services import buyers_restore_by_call
from agencies.merge_services import buyers_lock_routed
from agencies.models import Agency, Buyer, BuyerPhone, generate_webhook_secret
from agencies.selectors import buyers_route
from chirpworks.bulk import (
    bulk_history_insert,
    bulk_insert_rows,
    bulk_update_rows,
    instances_from_rows,
    row_factory,
)
from chirpworks.exceptions import ConflictError
from chirpworks.phones import phone_parse
from chirpworks.signals import KIND_BUYER, entities_changed_send
from chirpworks.updates import model_assign
from sellers.models import Seller

logger = logging.getLogger(__name__)

BULK_BATCH_SIZE = 500


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


def buyer_find_or_create(
    *,
    phone: str,
    agency: Agency,
    contacted_at: datetime | None = None,
    seller: Seller | None = None,
) -> Buyer:
    """The agency's buyer that ``phone`` (parsed to E.164) belongs to, created if new; race-safe.

    The number may be a buyer's own, an alternate, or a merged-away buyer's: the call lands on
    the buyer it now belongs to (``agencies.selectors.buyers_route``). A deleted buyer is restored,
    with a note, by the new call. Concurrent callers for one new number all get the same row:
    the unique (agency, phone) constraint makes the losers' INSERT fail inside a savepoint, and
    they read the winner's row. ``last_contacted_at`` / ``last_contacted_by`` only ever move
    forward in time.
    """
    e164 = phone_parse(phone, region=agency.default_phone_region)
    return _buyer_find_or_create(e164=e164, agency=agency, contacted_at=contacted_at, seller=seller)


def _buyer_find_or_create(
    *, e164: str, agency: Agency, contacted_at: datetime | None, seller: Seller | None
) -> Buyer:
    key = (agency.pk, e164)
    buyer = buyers_route(agency_ids={agency.pk}, phones={e164}).get(key)
    if buyer is None:
        try:
            with transaction.atomic():
                buyer = Buyer.objects.create(agency=agency, phone=e164)
        except IntegrityError:
            buyer = buyers_route(agency_ids={agency.pk}, phones={e164})[key]
    buyer = buyers_lock_routed(buyers={key: buyer})[key]
    if buyer.deleted_at is not None:
        buyers_restore_by_call(buyers=[buyer])
        buyer.refresh_from_db(fields=["deleted_at", "deleted_by"])
    if contacted_at is not None:
        _buyers_touch({buyer.pk: (contacted_at, seller.pk if seller else None)})
        buyer.refresh_from_db(fields=["last_contacted_at", "last_contacted_by"])
    return buyer


def buyers_find_or_create_bulk(
    *,
    agency_phones: set[tuple[uuid.UUID, str]],
    first_contacts: Mapping[tuple[uuid.UUID, str], tuple[datetime, uuid.UUID]] | None = None,
) -> dict:
    """``{(agency_id, e164): Buyer}`` for many pairs in a constant number of queries.

    ``first_contacts``: ``{(agency_id, e164): (when, seller_id)}``; a buyer created here starts
    with it as its last contact (what touching the new buyer afterwards would give, without
    writing each new row twice).

    The phones must already be E.164. A number is routed as ``buyer_find_or_create`` does
    (alternates and merged-away buyers lead to the live buyer; deleted buyers come back).
    Missing buyers are inserted with ``ignore_conflicts`` so a concurrent creator is harmless;
    the result is read back afterwards. Inside a transaction on PostgreSQL the buyers are locked
    (id order), so a merge running meanwhile is waited for and followed.
    """
    if not agency_phones:
        return {}
    agency_ids = {agency_id for agency_id, _ in agency_phones}
    phones = {phone for _, phone in agency_phones}

    def fetch(phone_set: set[str]) -> dict:
        found = buyers_route(agency_ids=agency_ids, phones=phone_set)
        return {key: buyer for key, buyer in found.items() if key in agency_phones}

    buyers = fetch(phones)
    missing = agency_phones - buyers.keys()
    inserted: set = set()
    if missing:
        first_contacts = first_contacts or {}
        make = row_factory(
            Buyer, ("agency_id", "phone", "last_contacted_at", "last_contacted_by_id")
        )
        rows = [make((*key, *first_contacts.get(key, (None, None)))) for key in missing]
        inserted = bulk_insert_rows(
            Buyer, rows, ignore_conflicts=True, conflict_order=("agency", "phone")
        )
        new = instances_from_rows(Buyer, rows)
        if inserted is None:
            created = fetch({phone for _, phone in missing})
            inserted = {b.pk for b in new}
        else:
            # Rows this transaction inserted are its own (no one else sees them yet); only the
            # numbers a concurrent creator got first are read back.
            created = {(b.agency_id, b.phone): b for b in new if b.pk in inserted}
            if lost := missing - created.keys():
                created.update(fetch({phone for _, phone in lost}))
        bulk_history_insert(
            Buyer,
            [b for b in created.values() if b.pk in inserted],
            change_reason="create|system|call",
        )
        buyers.update(created)
        entities_changed_send(sender=Buyer, kind=KIND_BUYER, ids=[b.pk for b in created.values()])
    # Buyers inserted here cannot be merged (or deleted) by anyone before this commits.
    ours = {key: b for key, b in buyers.items() if b.pk in inserted}
    others = {key: b for key, b in buyers.items() if key not in ours}
    buyers = {**buyers_lock_routed(buyers=others), **ours}
    deleted = {b.pk: b for b in buyers.values() if b.deleted_at is not None}
    if deleted:
        buyers_restore_by_call(buyers=list(deleted.values()))
        for buyer in buyers.values():
            if buyer.pk in deleted:
                buyer.deleted_at = None
                buyer.deleted_by = None
    return buyers


def buyers_touch_contacts(*, contacts: dict[uuid.UUID, tuple[datetime, uuid.UUID | None]]) -> None:
    """Move each buyer's last contact forward to ``(when, seller_id)`` if it is later."""
    _buyers_touch(contacts)


def _buyers_touch(contacts: dict[uuid.UUID, tuple[datetime, uuid.UUID | None]]) -> None:
    # A conditional UPDATE: the row lock makes "only forward" hold under concurrency.
    bulk_update_rows(
        Buyer,
        contacts,
        ["last_contacted_at", "last_contacted_by"],
        common={"updated_at": timezone.now()},
        only_if_older="last_contacted_at",
    )


BUYER_PROFILE_FIELDS = ("risks", "products_discussed", "key_highlights")


def buyer_create(
    *,
    agency: Agency,
    created_by: Seller | None = None,
    name: str,
    phone: str,
    email: str = "",
    company_name: str = "",
    risks: list | dict | None = None,
    products_discussed: list | dict | None = None,
    key_highlights: list | dict | None = None,
) -> Buyer:
    """A new buyer of ``agency``, visible to ``created_by`` (and whoever sees their data).

    The phone (any format) must not be the agency's already: 409, even when the existing buyer is
    one the caller may not see. The unique (agency, phone) constraint makes that unavoidable, so a
    seller learns that the number is known to the agency, and nothing else about its buyer.
    """
    buyer = Buyer(
        agency=agency,
        created_by=created_by,
        name=name.strip(),
        phone=phone_parse(phone, region=agency.default_phone_region),
        email=email or "",
        company_name=company_name or "",
        risks=[] if risks is None else risks,
        products_discussed=[] if products_discussed is None else products_discussed,
        key_highlights=[] if key_highlights is None else key_highlights,
    )
    if (
        Buyer.objects.filter(agency=agency, phone=buyer.phone).exists()
        or BuyerPhone.objects.filter(agency=agency, phone=buyer.phone).exists()
    ):
        raise ConflictError("A buyer with this phone already exists", code="buyer_exists")
    buyer.full_clean(
        exclude=["agency", "created_by", "last_contacted_by"], validate_constraints=False
    )
    buyer._history_user = created_by
    buyer._change_reason = "create|user|app" if created_by else "create|system|"
    try:
        with transaction.atomic():
            buyer.save()
    except IntegrityError as exc:  # a concurrent create of the same phone
        raise ConflictError("A buyer with this phone already exists", code="buyer_exists") from exc
    buyer_search_cache_invalidate(agency_id=agency.pk)
    return buyer


def buyer_update_profile(
    *, buyer: Buyer, data: dict[str, Any], actor: Seller | None = None
) -> Buyer:
    """Replace any of ``risks``, ``products_discussed``, ``key_highlights``; nulls are ignored.

    Shared by the app (seller token, ``actor``) and the processing workers (service token).
    """
    given = {field: value for field, value in data.items() if value is not None}
    changed = model_assign(instance=buyer, fields=BUYER_PROFILE_FIELDS, data=given)
    if changed:
        buyer._history_user = actor
        buyer._change_reason = f"edit|{'user' if actor else 'worker'}|{','.join(changed)}"
        with transaction.atomic():
            buyer.save(update_fields=changed)
        buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer


BUYER_PROFILE_LIMIT = 20


def buyer_apply_analysis(
    *,
    buyer: Buyer,
    meeting_id: str,
    risks: list[dict],
    products_discussed: list[dict],
    key_highlights: list[str],
    meeting: Any = None,
    analysis: dict[str, Any] | None = None,
) -> Buyer:
    """Fold one meeting's analysis into the buyer's profile (newest first, idempotent).

    Entries carry the meeting id, so re-analysing a meeting replaces its own entries instead of
    adding duplicates; products are merged by id (or name) and keep the latest interest level.
    With the ``meeting`` and its whole ``analysis``, the details said on the call (budget,
    location, requirement, timeline, decision makers) enrich the profile and the deal stage moves
    the lifecycle forward (``book_services.buyer_enrich_from_analysis``).
    """
    meeting_id = str(meeting_id)
    # The row as it is now, locked: an edit made while the call was being analysed is kept.
    buyer = Buyer.objects.select_for_update().select_related("agency").get(pk=buyer.pk)

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
    fields = ["risks", "products_discussed", "key_highlights"]
    if meeting is not None and analysis is not None:
        changed = buyer_enrich_from_analysis(buyer=buyer, meeting=meeting, analysis=analysis)
        fields += ["profile", "lifecycle", "lifecycle_cause", "lifecycle_changed_at"]
        buyer._change_reason = f"analysis|analysis|meeting {meeting_id} {','.join(changed)}"[:100]
    else:
        buyer._change_reason = f"analysis|analysis|meeting {meeting_id}"
    buyer._history_user = None
    buyer.save(update_fields=[*fields, "updated_at"])
    return buyer


def agency_rotate_webhook_secret(*, agency: Agency) -> Agency:
    """Replace the agency's Exotel webhook secret; calls signed with the old one get 403 from now.

    The new value must be configured in Exotel (the webhook URL's ``key``) straight away.
    """
    agency.exotel_webhook_secret = generate_webhook_secret()
    with transaction.atomic():
        agency.save(update_fields=["exotel_webhook_secret", "updated_at"])
    logger.warning("Exotel webhook secret of agency %s rotated", agency.pk)
    return agency
