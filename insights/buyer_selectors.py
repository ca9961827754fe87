"""Reads on buyers: the caller's list, profiles, product interest, history, and search.

A caller sees a buyer of their agency when a seller whose data they may see
(``sellers.access_selectors.scope_visible``: a seller or guest themselves, a manager their team
too, an admin the whole agency) has a meeting with the buyer, created the buyer in the app
(``Buyer.created_by``) or contacted them last (``Buyer.last_contacted_by``); admins see every
buyer of the agency. ``buyers_visible`` is that rule, and every buyer read starts from it: the
list, the profile (GET and the app's PUT), call history, product catalogue, actions and search.
A buyer the caller may not see answers 404, exactly as a missing one. The calls and actions shown
with a buyer are only those of sellers the caller may see.
"""

import hashlib
import math
import re
import time
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from agencies.buyer_search_cache import buyer_search_cache_version
from agencies.models import Buyer
from chirpworks.exceptions import NotFoundError
from chirpworks.phones import phone_denorm
from meetings.models import Meeting
from sellers.access_selectors import SellerScope, scope_visible
from sellers.models import Seller

INTEREST_SCORES = {"low": 1, "medium": 2, "high": 3}
SEARCH_FIELDS = (("name", 1.0), ("company_name", 0.9), ("phone", 0.8), ("email", 0.6))
SIMILARITY_THRESHOLD = 0.3
SEARCH_CACHE_SECONDS = 300
SEARCH_CANDIDATES = 50  # rows ranked per search; results and suggestions come from them


def buyers_of_agency(*, agency_id: uuid.UUID) -> QuerySet[Buyer]:
    return Buyer.objects.filter(agency_id=agency_id)


def buyer_visible_q(*, scope: SellerScope, buyer_id: uuid.UUID | None = None) -> Q:
    """The buyers of ``scope``'s agency that one of its sellers met, created or contacted last;
    with ``buyer_id``, that buyer alone if it is one of them.

    Meetings are matched by an uncorrelated ``IN (SELECT buyer_id …)``: no join, so a buyer met
    many times is one row, and PostgreSQL hashes the scope's meetings once. (A correlated
    ``EXISTS`` in this ``OR`` runs the same plan, but is costed as a probe per buyer, and that
    estimate turned on JIT compilation, 150-230 ms, for the list's count on the bench data.)
    For one buyer, the subquery reads that buyer's meetings only.
    """
    visible = Q(agency_id=scope.agency_id, deleted_at__isnull=True)
    if buyer_id is not None:
        visible &= Q(pk=buyer_id)
    if scope.seller_ids is None:
        return visible
    sellers = scope.seller_ids
    meetings = Meeting.objects.filter(seller_id__in=sellers)
    if buyer_id is not None:
        meetings = meetings.filter(buyer_id=buyer_id)
    return visible & (
        Q(created_by_id__in=sellers)
        | Q(last_contacted_by_id__in=sellers)
        | Q(pk__in=meetings.values("buyer_id"))
    )


def buyers_visible(*, scope: SellerScope, buyer_id: uuid.UUID | None = None) -> QuerySet[Buyer]:
    """The buyers whose data ``scope`` may read (or that one, if it is): every buyer read starts
    here."""
    return Buyer.objects.filter(buyer_visible_q(scope=scope, buyer_id=buyer_id))


def with_last_contact(buyers: QuerySet[Buyer]) -> QuerySet[Buyer]:
    """Annotate ``last_contact_at`` / ``last_contact_by``: the latest meeting, else the stored."""
    latest = Meeting.objects.filter(buyer=OuterRef("pk")).order_by("-start_time")
    meeting_at = Subquery(latest.values("start_time")[:1])
    return buyers.annotate(
        # GREATEST is NULL on SQLite when either side is: fall back to whichever exists.
        last_contact_at=Coalesce(
            Greatest(meeting_at, F("last_contacted_at")), meeting_at, F("last_contacted_at")
        ),
        last_contact_by=Coalesce(
            Subquery(latest.values("seller__name")[:1]), F("last_contacted_by__name")
        ),
    )


def buyer_list(
    *, actor: Seller, lifecycle: str | None = None, tag: str | None = None
) -> QuerySet[Buyer]:
    """The buyers the caller may see, most recently contacted first; ``lifecycle`` and ``tag``
    (normalised as tags are stored) narrow it.

    Every meeting moves its buyer's stored contact forward (``meetings.contacts``), so the
    stored ``last_contacted_at`` is the later of it and the latest meeting: the order reads a
    page from the (agency, last contact, name, id) index and looks up the latest meeting of
    that page's buyers only, where ordering by it looked it up for every buyer of the agency.
    """
    buyers = buyers_visible(scope=scope_visible(actor=actor))
    if lifecycle:
        buyers = buyers.filter(lifecycle=lifecycle)
    if tag is not None:
        tagged = Buyer.tags.through.objects.filter(
            buyertag__agency_id=actor.agency_id, buyertag__name=" ".join(tag.split()).casefold()
        )
        buyers = buyers.filter(pk__in=tagged.values("buyer_id"))
    # The row shows none of the analysis profile's JSON but the products discussed.
    buyers = buyers.defer("risks", "key_highlights", "profile")
    return with_last_contact(buyers).order_by(
        F("last_contacted_at").desc(nulls_last=True), "name", "pk"
    )


def buyer_get_for(*, actor: Seller, buyer_id: uuid.UUID) -> Buyer:
    """A buyer the caller may see, with its last contact; any other (another agency's, a
    colleague's outside the caller's scope, a missing one) is the same 404."""
    buyers = buyers_visible(scope=scope_visible(actor=actor), buyer_id=buyer_id)
    found = with_last_contact(buyers).first()
    if found is None:
        raise NotFoundError("Buyer not found", code="buyer_not_found")
    return found


def buyer_get_for_worker(*, buyer_id: uuid.UUID) -> Buyer:
    """Any agency's buyer, for processing workers (they hold the service token, not a seller's)."""
    buyer = Buyer.objects.filter(pk=buyer_id).first()
    if buyer is None:
        raise NotFoundError("Buyer not found", code="buyer_not_found")
    return buyer


def buyer_profile_update_row(buyer: Buyer) -> dict[str, Any]:
    """What ``PUT buyers/profile/<id>`` answers, whoever called it (the app or a worker)."""
    return {
        "id": buyer.pk,
        "phone": phone_denorm(buyer.phone),
        "name": buyer.name or None,
        "email": buyer.email or None,
        "risks": buyer.risks,
        "products_discussed": buyer.products_discussed,
        "key_highlights": buyer.key_highlights,
    }


def buyer_row(buyer: Buyer) -> dict[str, Any]:
    """The list / search shape of a buyer annotated by ``with_last_contact``."""
    return {
        "id": buyer.pk,
        "name": buyer.name or None,
        "email": buyer.email or None,
        "phone": phone_denorm(buyer.phone),
        "products_discussed": buyer.products_discussed,
        "last_contacted_by": buyer.last_contact_by,
        "last_contacted_at": _local(buyer.last_contact_at),
        "company_name": buyer.company_name or None,
        "lifecycle": buyer.lifecycle,
        "tags": list(buyer.tag_names or []),
    }


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value else None


def _product_entries(detected: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``{product_id, product_name, interest_level}`` of each product in a meeting's
    ``detected_products`` (the analysis schema's shape, ``DetectedProduct``: one shape, see
    migration meetings.0010_detected_products_one_shape)."""
    return [
        {
            "product_id": item.get("product_id"),
            "product_name": item["product_name"],
            "interest_level": item.get("interest_level"),
        }
        for item in detected or []
    ]


def _profile_product_entries(products_discussed: Any) -> list[dict[str, Any]]:
    """The buyer's own ``products_discussed``: free-form in the contract (a list or an object,
    written by ``PUT buyers/profile/<id>``), so read in any of its shapes."""
    items = products_discussed if isinstance(products_discussed, list) else [products_discussed]
    entries = []
    for item in items:
        if isinstance(item, dict):
            product_id = item.get("product_id") or item.get("productId") or item.get("id")
            name = next(
                (
                    item[key]
                    for key in ("product_name", "productName", "name", "title")
                    if item.get(key)
                ),
                None,
            )
            level = str(item.get("interest_level") or "").lower() or None
        elif item not in (None, ""):
            product_id, name, level = None, str(item), None
        else:
            continue
        if product_id or name:
            entries.append(
                {
                    "product_id": str(product_id) if product_id else None,
                    "product_name": str(name) if name else None,
                    "interest_level": level if level in INTEREST_SCORES else None,
                }
            )
    return entries


def _product_key(entry: dict[str, Any]) -> str:
    return entry["product_id"] or f"name:{(entry['product_name'] or '').strip().lower()}"


def _products_by_key(buyer: Buyer) -> "OrderedDict[str, dict[str, Any]]":
    """Products across the buyer's meetings (oldest first), with every interest level seen."""
    products: OrderedDict[str, dict[str, Any]] = OrderedDict()
    detected_lists = (
        Meeting.objects.filter(buyer=buyer)
        .order_by("start_time")
        .values_list("detected_products", flat=True)
    )
    for detected in detected_lists:
        seen_in_meeting = set()
        for entry in _product_entries(detected):
            key = _product_key(entry)
            product = products.setdefault(
                key,
                {
                    "product_id": entry["product_id"],
                    "product_name": entry["product_name"],
                    "levels": [],
                    "meetings": 0,
                },
            )
            product["product_name"] = product["product_name"] or entry["product_name"]
            if entry["interest_level"]:
                product["levels"].append(entry["interest_level"])
            if key not in seen_in_meeting:
                product["meetings"] += 1
                seen_in_meeting.add(key)
    return products


def buyer_products_discussed(*, buyer: Buyer) -> list[dict[str, Any]]:
    """``[{product_name, product_id}]`` from the buyer's meetings, deduplicated."""
    return [
        {"product_name": product["product_name"], "product_id": product["product_id"]}
        for product in _products_by_key(buyer).values()
    ]


def _interest_level(levels: list[str], meetings: int) -> str:
    if levels:
        average = sum(INTEREST_SCORES[level] for level in levels) / len(levels)
        rounded = math.floor(average + 0.5)  # halves round up: high + medium reads as high
        return next(name for name, score in INTEREST_SCORES.items() if score == rounded)
    # No analyser opinion: the more calls the product came up in, the stronger the interest.
    return "high" if meetings >= 3 else "medium" if meetings == 2 else "low"


def buyer_product_catalogue(*, buyer: Buyer) -> list[dict[str, Any]]:
    """Products discussed with an interest level: the analysers' levels averaged, else how often
    the product came up; products only in the stored profile keep its level."""
    products = _products_by_key(buyer)
    for entry in _profile_product_entries(buyer.products_discussed):
        key = _product_key(entry)
        if key not in products:
            products[key] = {
                "product_id": entry["product_id"],
                "product_name": entry["product_name"],
                "levels": [entry["interest_level"]] if entry["interest_level"] else [],
                "meetings": 0,
            }
    return [
        {
            "product_name": product["product_name"],
            "product_id": product["product_id"],
            "interest_level": _interest_level(product["levels"], max(product["meetings"], 1)),
        }
        for product in products.values()
    ]


PHONE_QUERY = re.compile(r"^[\d\s+\-()]+$")


class _TrigramSimilar(Func):
    """PostgreSQL ``a % b``: similarity above pg_trgm's threshold, answered from a GIN index."""

    arg_joiner = " %% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class _ILike(Func):
    """PostgreSQL ``a ILIKE b``: the trigram GIN index on ``a`` answers it, where it cannot
    answer Django's ``icontains`` (``UPPER(a) LIKE UPPER(b)``)."""

    arg_joiner = " ILIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _ilike_contains(name: str, term: str) -> Q:
    pattern = f"%{connection.ops.prep_for_like_query(term)}%"
    return Q(_ILike(F(name), Value(pattern)))


class _Similarity(Func):
    function = "SIMILARITY"
    output_field = FloatField()


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: per lower-cased word, padded with two spaces before, one after."""
    grams: set[str] = set()
    for word in re.findall(r"[0-9a-z]+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[index : index + 3] for index in range(len(padded) - 2))
    return grams


def trigram_similarity(left: str, right: str) -> float:
    """The same number as pg_trgm's ``similarity()``, for databases without it."""
    a, b = _trigrams(left or ""), _trigrams(right or "")
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _field_score(value: str, query: str, similarity: float) -> float:
    """Exact beats prefix beats substring; otherwise the trigram similarity."""
    value, query = (value or "").lower(), query.lower()
    if not value:
        return 0.0
    if value == query:
        return 1.0
    if value.startswith(query):
        return max(similarity, 0.9)
    if query in value:
        return max(similarity, 0.7)
    return similarity


def _search_terms(q: str) -> dict[str, str]:
    """What each field is compared with: a phone-like query is compared by its digits."""
    terms = {name: q for name, _ in SEARCH_FIELDS}
    if PHONE_QUERY.match(q):
        digits = re.sub(r"\D", "", q)
        # A national number is matched whatever the prefix (+91, 0091, 0) it was typed with.
        terms["phone"] = digits[-10:] if len(digits) > 10 else digits
    return terms


def _candidates_postgres(buyers: QuerySet[Buyer], terms: dict[str, str]):
    match = Q()
    scores = []
    for name, weight in SEARCH_FIELDS:
        term = terms[name]
        match |= _ilike_contains(name, term) | Q(_TrigramSimilar(F(name), Value(term)))
        similarity = _Similarity(F(name), Value(term))
        field_score = Case(
            When(**{f"{name}__iexact": term}, then=Value(1.0)),
            When(**{f"{name}__istartswith": term}, then=Greatest(similarity, Value(0.9))),
            When(**{f"{name}__icontains": term}, then=Greatest(similarity, Value(0.7))),
            default=similarity,
            output_field=FloatField(),
        )
        buyers = buyers.annotate(**{f"score_{name}": field_score * Value(weight)})
        scores.append(F(f"score_{name}"))
    matched = buyers.filter(match).annotate(
        match_score=Greatest(*scores),
        # Counted in the same pass as the ranking, where a second query filtered them all again.
        matched_count=Window(Count("pk")),
    )
    ranked = with_last_contact(matched).order_by("-match_score", "name", "pk")[:SEARCH_CANDIDATES]
    rows = []
    total = 0
    for buyer in ranked:
        field_scores = {name: getattr(buyer, f"score_{name}") for name, _ in SEARCH_FIELDS}
        rows.append((buyer, buyer.match_score, max(field_scores, key=field_scores.get)))
        total = buyer.matched_count
    return rows, total


def _candidates_portable(buyers: QuerySet[Buyer], terms: dict[str, str]):
    """Without pg_trgm: score every buyer in ``buyers`` in Python, with the same formula."""
    scored = []
    fields = [name for name, _ in SEARCH_FIELDS]
    for row in buyers.values("pk", *fields):
        field_scores = {}
        contains = False
        for name, weight in SEARCH_FIELDS:
            value, term = row[name] or "", terms[name]
            similarity = trigram_similarity(value, term)
            contains = contains or (bool(value) and term.lower() in value.lower())
            field_scores[name] = _field_score(value, term, similarity) * weight
        best = max(field_scores, key=field_scores.get)
        if (
            contains
            or max(trigram_similarity(row[name] or "", terms[name]) for name in fields)
            > SIMILARITY_THRESHOLD
        ):
            scored.append((row["pk"], field_scores[best], best, row["name"] or ""))
    scored.sort(key=lambda item: (-item[1], item[3], str(item[0])))
    top = scored[:SEARCH_CANDIDATES]
    buyers = with_last_contact(Buyer.objects.filter(pk__in=[item[0] for item in top])).in_bulk()
    return [(buyers[pk], score, field) for pk, score, field, _ in top], len(scored)


def _suggestions(rows: list[tuple[Buyer, float, str]], limit: int) -> list[str]:
    """Names, then companies, then phones of the best matches, without repeats."""
    suggestions: list[str] = []
    for field in ("name", "company_name", "phone"):
        for buyer, _, match_field in rows:
            if match_field != field:
                continue
            value = phone_denorm(buyer.phone) if field == "phone" else getattr(buyer, field)
            if value and value not in suggestions:
                suggestions.append(value)
    return suggestions[:limit]


def _scope_key(scope: SellerScope) -> str:
    """Callers who see the same sellers see the same buyers, so they share cached searches."""
    if scope.seller_ids is None:
        return "agency"
    ids = ",".join(sorted(str(seller_id) for seller_id in scope.seller_ids))
    return hashlib.sha256(ids.encode()).hexdigest()[:32]


def buyer_search(
    *, actor: Seller, q: str, limit: int = 20, suggestion_limit: int = 5
) -> dict[str, Any]:
    """Rank the buyers the caller may see by name, company, phone and email (pg_trgm on
    PostgreSQL); the results, suggestions and total count never include any other buyer.

    Answers are cached for five minutes per agency, scope and query; creating or editing a buyer
    starts afresh, a new meeting does not (its buyer may show a few minutes later).
    """
    started = time.perf_counter()
    q = q.strip()
    scope = scope_visible(actor=actor)
    version = buyer_search_cache_version(agency_id=actor.agency_id)
    digest = hashlib.sha256(q.lower().encode()).hexdigest()
    key = (
        f"buyer-search:{actor.agency_id}:{version}:{_scope_key(scope)}:"
        f"{limit}:{suggestion_limit}:{digest}"
    )
    cached = cache.get(key)
    if cached is not None:
        return {**cached, "cached": True, "search_time_ms": _elapsed_ms(started)}

    terms = _search_terms(q)
    buyers = buyers_visible(scope=scope)
    if connection.vendor == "postgresql":
        rows, total = _candidates_postgres(buyers, terms)
    else:
        rows, total = _candidates_portable(buyers, terms)
    body = {
        "results": [
            {**buyer_row(buyer), "match_score": round(score, 4), "match_field": field}
            for buyer, score, field in rows[:limit]
        ],
        "suggestions": _suggestions(rows, suggestion_limit),
        "total_count": total,
        "query": q,
    }
    cache.set(key, body, SEARCH_CACHE_SECONDS)
    return {**body, "cached": False, "search_time_ms": _elapsed_ms(started)}


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
