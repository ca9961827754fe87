"""The catalogue's products a call talks about, however they are referred to.

A product is found when it is named exactly or nearly (``rapidfuzz`` over word n-grams), by a
shortened name (the name without the brand words every catalogue name shares or the agency's
name, or one distinctive word of it: an uncommon English word no other product's name has,
"Lakeview", "Zippy", "villa"), misheard (the Double Metaphone keys of the words said against the
name's, ``jellyfish.metaphone``), or only by one of its distinctive features (a feature no other
product lists, matched on its content words).
"""

import re
from functools import lru_cache
from typing import Any

import jellyfish
from rapidfuzz import fuzz
from wordfreq import zipf_frequency

from pipeline.analysis.roles import agency_tokens
from pipeline.analysis.sentences import BUY, Sentence, mentions
from pipeline.analysis.text import stem, words

_GENERIC = frozenset(
    [
        "plan",
        "plans",
        "policy",
        "product",
        "products",
        "package",
        "pack",
        "the",
        "and",
        "of",
        "for",
        "with",
        "plus",
        "pro",
        "premium",
        "service",
        "services",
        "scheme",
        "program",
        "programme",
        "course",
        "offer",
        "new",
    ]
)


def product_aliases(products: list[dict[str, Any]], agency_name: str) -> list[list[str]]:
    """Each product's name, and the name without the brand words people skip when speaking:
    the leading words every catalogue name shares, and the agency's own name ("BrightDesk CRM"
    -> "CRM"). An alias shorter than three letters is not used."""
    names = [words(str(p.get("name") or "")) for p in products]
    shared = 0
    if len([n for n in names if n]) >= 2:
        while (
            all(len(n) > shared + 1 for n in names if n)
            and len({n[shared] for n in names if n}) == 1
        ):
            shared += 1
    brand = set(agency_tokens(agency_name))
    out = []
    for product, tokens in zip(products, names, strict=True):
        name = str(product.get("name") or "").strip()
        options = [name]
        for alias in (tokens[shared:], [t for t in tokens if t not in brand]):
            text = " ".join(alias)
            if alias and len(text) >= 3 and text != " ".join(tokens) and text not in options:
                options.append(text)
        out.append(options)
    return out


@lru_cache(maxsize=8192)
def _key(word: str) -> str:
    return jellyfish.metaphone(word) if word.isalpha() else word


def _phonetic(alias: str, tokens: list[str]) -> bool:
    """A misheard name: the sounds of some n-gram of the sentence match the alias's."""
    target = words(alias)
    if not target or sum(len(w) for w in target) < 6:
        return False
    want = " ".join(_key(w) for w in target)
    n = len(target)
    for k in {max(1, n - 1), n, n + 1}:
        for i in range(len(tokens) - k + 1):
            gram = tokens[i : i + k]
            if _key(gram[0])[:1] != want[:1]:
                continue
            said = " ".join(_key(w) for w in gram)
            if fuzz.ratio(want, said) >= 88 and fuzz.ratio(" ".join(target), " ".join(gram)) >= 60:
                return True
    return False


def _distinctive_words(products: list[dict[str, Any]], agency_name: str) -> list[set[str]]:
    names = [set(words(str(p.get("name") or ""))) for p in products]
    brand = set(agency_tokens(agency_name))
    out = []
    for i, name in enumerate(names):
        others = (
            set().union(*(n for j, n in enumerate(names) if j != i)) if len(names) > 1 else set()
        )
        keep = {
            w
            for w in name
            if w not in others
            and w not in brand
            and w not in _GENERIC
            and len(w) >= 4
            and zipf_frequency(w, "en") < 4.3
        }
        out.append({stem(w) for w in keep})
    return out


def _feature_names(product: dict[str, Any]) -> list[str]:
    out = []
    for feature in product.get("features") or []:
        name = str(feature.get("name") if isinstance(feature, dict) else feature or "").strip()
        if name:
            out.append(name)
    return out


def _feature_said(feature: str, text: str, stems_said: set[str]) -> bool:
    if mentions(feature, text):
        return True
    content = [stem(w) for w in words(feature) if w not in _GENERIC and len(w) > 2]
    if len(content) < 2:
        return False
    found = [w for w in content if w in stems_said]
    return len(found) == len(content) or (len(content) >= 4 and len(found) >= len(content) - 1)


def detect_products(call: Any, *, interest: str) -> list[dict[str, Any]]:
    catalogue = [p for p in call.context.products if str(p.get("name") or "").strip()]
    aliases = product_aliases(catalogue, call.context.agency_name)
    distinctive = _distinctive_words(catalogue, call.context.agency_name)
    features = [_feature_names(p) for p in catalogue]
    feature_owner: dict[str, int] = {}
    for i, names in enumerate(features):
        for name in names:
            key = name.casefold()
            feature_owner[key] = (
                i if key not in feature_owner else -1
            )  # -1: shared, not distinctive
    said = [(s, words(s.text), {stem(w) for w in words(s.text)}) for s in call.sentences]
    result = []
    for index, product in enumerate(catalogue):
        hits: list[Sentence] = []
        how = set()
        for s, tokens, stems_said in said:
            if any(mentions(alias, s.text) for alias in aliases[index]):
                hits.append(s)
                how.add("name")
            elif distinctive[index] & stems_said:
                hits.append(s)
                how.add("variant")
            elif any(_phonetic(alias, tokens) for alias in aliases[index]):
                hits.append(s)
                how.add("phonetic")
        found_features = []
        for name in features[index]:
            if any(_feature_said(name, s.text, st) for s, _, st in said):
                found_features.append(name)
        by_feature = [f for f in found_features if feature_owner.get(f.casefold()) == index]
        if not hits and not by_feature:
            continue
        if not hits:
            how.add("feature")
        result.append(
            {
                "product_id": str(product["id"]) if product.get("id") else None,
                "product_name": str(product["name"]).strip(),
                "features": found_features,
                "mentions": max(1, len(hits)),
                "interest_level": interest,
                "_how": sorted(how),
            }
        )
    result.sort(key=lambda p: -p["mentions"])
    for entry in result:
        entry.pop("_how")
    return result


def buyer_interest(call: Any, *, need_pattern: re.Pattern) -> str:
    positive_re = re.compile(
        r"\b(?:i\s+want|i\s+would\s+like|interested|yes|renew|go\s+ahead|send\s+me|please\s+\w+|"
        r"sounds\s+good|let'?s|book|buy|sign)\b",
        re.I,
    )
    hedge_re = re.compile(
        r"\b(?:not\s+sure|maybe|i\s+will\s+decide|think\s+about|talk\s+to\s+my|before\s+i|if\s+you)\b",
        re.I,
    )
    buyer = [s for s in call.sentences if s.role in BUY]
    if any(need_pattern.search(s.text) for s in buyer):
        return "low"
    positive = sum(1 for s in buyer if positive_re.search(s.text))
    hedges = sum(1 for s in buyer if hedge_re.search(s.text))
    if positive and not hedges:
        return "high"
    if positive or hedges:
        return "medium"
    return "low" if buyer and all(s.compound < 0 for s in buyer) else "medium"
