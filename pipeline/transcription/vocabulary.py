"""The words a call is likely to contain that a general speech model does not know: the agency's
name, its products, its competitors and the two people's names.

They are given to faster-whisper as ``hotwords`` (a prompt on every 30 s window) and as a short
``initial_prompt`` sentence in the style of a call's opening (the first window). Both are kept
short: a long prompt slows decoding and makes the model more likely to repeat it over silence.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# faster-whisper caps the prompt at 223 tokens; ~4 characters a token on names.
HOTWORDS_MAX_CHARS = 320
PROMPT_MAX_CHARS = 200
TERM_MAX_CHARS = 40


def _clean(term: Any) -> str:
    text = re.sub(r"\s+", " ", str(term or "")).strip(" ,.;:")
    return text if 1 < len(text) <= TERM_MAX_CHARS else ""


def _unique(terms: Iterable[Any]) -> list[str]:
    seen: set[str] = set()
    out = []
    for term in terms:
        text = _clean(term)
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out


@dataclass(frozen=True)
class CallVocabulary:
    agency_name: str = ""
    seller_name: str = ""
    buyer_name: str = ""
    products: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)

    def terms(self) -> list[str]:
        """Most useful first: people, agency, products, competitors. Product features are left
        out: long common phrases as hotwords make the model insert them where they were not
        said (measured on the dev corpus)."""
        return _unique(
            [self.seller_name, self.buyer_name, self.agency_name, *self.products, *self.competitors]
        )

    def hotwords(self, max_chars: int = HOTWORDS_MAX_CHARS) -> str:
        chosen: list[str] = []
        length = 0
        for term in self.terms():
            if length + len(term) + 2 > max_chars:
                continue  # a shorter later term may still fit
            chosen.append(term)
            length += len(term) + 2
        return ", ".join(chosen)

    def initial_prompt(self, max_chars: int = PROMPT_MAX_CHARS) -> str:
        seller = _clean(self.seller_name).split(" ")[0] if _clean(self.seller_name) else ""
        parts = ["Hello"]
        if seller:
            parts.append(f", this is {seller}")
        if _clean(self.agency_name):
            parts.append(f" from {_clean(self.agency_name)}")
        parts.append(".")
        products = _unique(self.products)[:3]
        if products:
            parts.append(f" We discussed {', '.join(products)}.")
        prompt = "".join(parts)
        return prompt if len(prompt) <= max_chars else prompt[:max_chars].rsplit(" ", 1)[0]


def vocabulary_from_context(context: Any) -> CallVocabulary:
    """From a ``pipeline.analysis.base.AnalysisContext`` (duck-typed: the analysis owns it)."""
    products = getattr(context, "products", None) or []
    trackers = getattr(context, "keyword_trackers", None) or {}
    competitors = trackers.get("competitors") if isinstance(trackers, dict) else None
    return CallVocabulary(
        agency_name=getattr(context, "agency_name", "") or "",
        seller_name=getattr(context, "seller_name", "") or "",
        buyer_name=getattr(context, "buyer_name", "") or "",
        products=[p.get("name", "") for p in products if isinstance(p, dict)],
        competitors=[c for c in competitors or [] if isinstance(c, str)],
        features=[
            f.get("name", "")
            for p in products
            if isinstance(p, dict)
            for f in (p.get("features") or [])
            if isinstance(f, dict)
        ],
    )
