"""Speaker roles: which speaker label is the seller and which the buyer, when the transcript
does not say (a diarised mono recording)."""

import re
from collections import defaultdict
from typing import Any

from rapidfuzz import fuzz

from pipeline.analysis.base import AnalysisContext
from pipeline.analysis.sentences import BUYER, SELLER, UNKNOWN, first_name, says
from pipeline.analysis.text import words


def agency_tokens(agency_name: str) -> list[str]:
    """The distinctive words of the agency's name ("SecureLife Insurance" -> ["securelife"])."""
    generic = {
        "insurance",
        "agency",
        "pvt",
        "ltd",
        "limited",
        "inc",
        "llc",
        "services",
        "the",
        "group",
        "company",
        "co",
        "private",
        "realty",
        "and",
        "solutions",
    }
    tokens = [w for w in words(agency_name) if w not in generic and len(w) > 2]
    return tokens or [w for w in words(agency_name) if len(w) > 2]


def infer_speaker_roles(segs: list[dict[str, Any]], context: AnalysisContext) -> dict[str, str]:
    """``{speaker label: role}``; known roles are kept, unknown ones inferred from evidence."""
    labels: list[str] = []
    known: dict[str, str] = {}
    texts: dict[str, list[str]] = defaultdict(list)
    for seg in segs:
        if seg["speaker"] not in labels:
            labels.append(seg["speaker"])
        if seg["role"] in (SELLER, BUYER):
            known.setdefault(seg["speaker"], seg["role"])
        texts[seg["speaker"]].append(seg["text"])
    unknown = [label for label in labels if label not in known]
    roles = dict(known)
    if not unknown:
        return {label: roles[label] for label in labels}
    if len(labels) < 2:
        return {label: roles.get(label, UNKNOWN) for label in labels}

    seller_first = first_name(context.seller_name)
    buyer_first = first_name(context.buyer_name)
    agency = agency_tokens(context.agency_name)
    product_names = [p.get("name", "") for p in context.products if p.get("name")]
    score: dict[str, float] = {}
    for label in unknown:
        text = " ".join(texts[label])
        lower = text.lower()
        s = 0.0
        if any(says(text, token) for token in agency):
            s += 3
        intro = re.search(
            r"\b(?:this\s+is|my\s+name\s+is|i\s+am|i'm)\s+(\w+)|\b(\w+)\s+(?:here|from)\b", lower
        )
        if seller_first and intro and seller_first in (intro.group(1), intro.group(2)):
            s += 3
        if buyer_first and intro and buyer_first in (intro.group(1), intro.group(2)):
            s -= 3
        if buyer_first and says(text, buyer_first, 90):
            s += 1
        if (
            seller_first
            and says(text, seller_first, 90)
            and not (intro and seller_first in intro.groups())
        ):
            s -= 2  # addressing the seller by name
        s += min(
            2, sum(1 for name in product_names if fuzz.partial_ratio(name.lower(), lower) >= 90)
        )
        s += min(
            2,
            len(re.findall(r"\b(?:i|we)\s*(?:will|'ll)\s+(?:send|email|share|check|call)", lower)),
        )
        s -= min(
            2,
            len(
                re.findall(
                    r"\b(?:how\s+much|what\s+would\s+the\s+(?:premium|price|cost)|"
                    r"send\s+me|can\s+you\s+(?:also\s+)?(?:send|check|share))",
                    lower,
                )
            ),
        )
        score[label] = s
    if not known:
        ranked = sorted(unknown, key=lambda lab: score[lab], reverse=True)
        if score[ranked[0]] <= score[ranked[-1]]:
            return {label: UNKNOWN for label in labels}  # no evidence tells them apart
        roles[ranked[0]] = SELLER
        rest = ranked[1:]
        if len(rest) == 1:
            roles[rest[0]] = BUYER
        else:
            roles[rest[-1]] = BUYER
    else:
        other = BUYER if SELLER in known.values() else SELLER
        for label in unknown:
            if (
                len(labels) == 2
                or (other == BUYER and score[label] < 0)
                or (other == SELLER and score[label] > 0)
            ):
                roles[label] = other  # in a two-party call the other label is the other side
    return {label: roles.get(label, UNKNOWN) for label in labels}
