"""Reads on the buyer book: groups of buyers that are likely one person, for a merge."""

import re
import uuid
from collections import defaultdict
from typing import Any

from django.utils import timezone

from agencies.models import Buyer
from chirpworks.phones import phone_denorm
from insights.buyer_selectors import buyers_visible
from sellers.access_selectors import scope_visible
from sellers.models import Seller

# How sure each reason makes a pair, for ranking groups.
DUPLICATE_REASONS = {
    "same_phone_digits": 0.95,
    "same_email": 0.9,
    "phone_heard": 0.8,
    "same_name_and_company": 0.7,
}
MAX_GROUPS = 100

Pair = tuple[str, list[uuid.UUID]]


def _name_key(value: str) -> str:
    return " ".join(re.findall(r"[0-9a-z]+", (value or "").casefold()))


def buyer_duplicates(*, actor: Seller) -> list[dict[str, Any]]:
    """Groups of buyers the caller sees that are likely one person, most certain first, each
    with its reasons: the same name and company, the same email, numbers that differ only in
    format (the same last ten digits), or a number the analysis heard on a call being another
    buyer's. One query for the buyers, one for their rows."""
    rows = list(
        buyers_visible(scope=scope_visible(actor=actor)).values_list(
            "pk", "name", "company_name", "email", "phone", "profile__phones_heard__value"
        )
    )
    groups = _pairs_grouped(_duplicate_pairs(rows))
    if not groups:
        return []
    wanted = {pk for g in groups.values() for pk in g["ids"]}
    buyers = Buyer.objects.filter(pk__in=wanted).select_related("last_contacted_by").in_bulk()
    answer = [_group_row(group, buyers) for group in groups.values()]
    answer.sort(key=lambda g: (-g["score"], -len(g["buyers"]), str(g["buyers"][0]["id"])))
    return answer[:MAX_GROUPS]


def _duplicate_pairs(rows: list[tuple]) -> list[Pair]:
    """Each reason with the buyers it ties together (two or more)."""
    by_key: dict[tuple[str, str], list[uuid.UUID]] = defaultdict(list)
    by_phone = {}
    for pk, name, company, email, phone, _ in rows:
        by_phone[phone] = pk
        if email:
            by_key[("same_email", email.strip().casefold())].append(pk)
        if _name_key(name) and _name_key(company):
            by_key[("same_name_and_company", f"{_name_key(name)}|{_name_key(company)}")].append(pk)
        digits = re.sub(r"\D", "", phone)[-10:]
        if len(digits) == 10:
            by_key[("same_phone_digits", digits)].append(pk)
    pairs: list[Pair] = [(reason, pks) for (reason, _), pks in by_key.items() if len(pks) > 1]
    for pk, _, _, _, _, heard in rows:
        for phone in heard if isinstance(heard, list) else []:
            other = by_phone.get(phone)
            if other and other != pk:
                pairs.append(("phone_heard", [pk, other]))
    return pairs


def _pairs_grouped(pairs: list[Pair]) -> dict[uuid.UUID, dict[str, Any]]:
    """The pairs joined into groups (union-find): each group's buyers and reasons."""
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(x: uuid.UUID) -> uuid.UUID:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, pks in pairs:
        for other in pks[1:]:
            parent[find(other)] = find(pks[0])
    groups: dict[uuid.UUID, dict[str, Any]] = {}
    for reason, pks in pairs:
        group = groups.setdefault(find(pks[0]), {"ids": set(), "reasons": {}})
        group["ids"].update(pks)
        group["reasons"].setdefault(reason, set()).update(pks)
    return groups


def _group_row(group: dict[str, Any], buyers: dict[uuid.UUID, Buyer]) -> dict[str, Any]:
    reasons = [
        {"reason": reason, "buyer_ids": sorted(str(pk) for pk in pks)}
        for reason, pks in sorted(
            group["reasons"].items(), key=lambda item: -DUPLICATE_REASONS[item[0]]
        )
    ]
    members = sorted(
        (buyers[pk] for pk in group["ids"]),
        key=lambda b: (
            b.last_contacted_at is None,
            -(b.last_contacted_at or timezone.now()).timestamp(),
            str(b.pk),
        ),
    )
    return {
        "score": max(DUPLICATE_REASONS[r["reason"]] for r in reasons),
        "reasons": reasons,
        "buyers": [
            {
                "id": b.pk,
                "name": b.name or None,
                "phone": phone_denorm(b.phone),
                "email": b.email or None,
                "company_name": b.company_name or None,
                "lifecycle": b.lifecycle,
                "last_contacted_at": timezone.localtime(b.last_contacted_at)
                if b.last_contacted_at
                else None,
            }
            for b in members
        ],
    }
