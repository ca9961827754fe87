"""Details a buyer says on a call, for the buyer's profile: budget, location, requirement,
timeline, decision makers, and other numbers to reach them on.

The analysis may already carry them (``analysis["buyer_profile"]["facts"]`` or
``analysis["profile"]``, a dict keyed by ``PROFILE_FIELDS``); whatever it lacks is read here from
its ``facts`` triples and the buyer's lines of the transcript, with a few patterns of the way
Indian real-estate and insurance buyers say them ("budget is around 80 lakhs", "a 2 BHK in
Whitefield", "within three months", "I will discuss with my wife"). The first match wins; values
are short strings as said.
"""

import re
from collections.abc import Iterable
from typing import Any

import phonenumbers

PROFILE_FIELDS = ("budget", "location", "requirement", "timeline", "decision_makers")
MAX_VALUE = 200

_AMOUNT = (
    r"(?:(?:rs\.?|inr|₹)\s*)?\d[\d,]*(?:\.\d+)?\s*(?:lakhs?|lacs?|crores?|cr|k|thousand|million)?"
    r"(?:\s*(?:rupees|rs))?"
)
_PATTERNS: dict[str, list[re.Pattern]] = {
    "budget": [
        re.compile(rf"\bbudget\b[^.?!\d₹]{{0,30}}({_AMOUNT})", re.I),
        re.compile(
            rf"\b(?:afford|spend|invest|pay)\b[^.?!\d₹]{{0,25}}({_AMOUNT}"
            r"(?:\s*(?:to|-)\s*" + _AMOUNT + r")?)",
            re.I,
        ),
        re.compile(r"(\d[\d,.]*\s*(?:lakhs?|lacs?|crores?|cr))\b", re.I),
    ],
    "requirement": [
        re.compile(r"\b(\d(?:\.5)?\s*bhk(?:\s+(?:flat|apartment|villa|house))?)", re.I),
        re.compile(
            r"\b((?:term|health|life|car|motor|home|travel|endowment|ulip|family floater)\s+"
            r"(?:insurance\s+)?(?:plan|policy|cover|insurance))\b",
            re.I,
        ),
        re.compile(
            r"\b(?:looking for|need|want|interested in)\s+(an?\s+[a-z0-9 ]{3,40}?)[.,!?]", re.I
        ),
    ],
    "location": [
        re.compile(
            r"\b(?:in|near|around|at)\s+((?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+){0,2})"
            r"(?:\s+(?:area|side|sector|road))?",
        ),
        re.compile(r"\b(?:area|locality|location)\s+(?:is|like|of)?\s*([A-Za-z ]{3,30})", re.I),
    ],
    "timeline": [
        re.compile(
            r"\b((?:within|in|after|by|next)\s+(?:the\s+)?(?:next\s+)?"
            r"(?:\d+|one|two|three|four|five|six|a few|few|couple of)?\s*"
            r"(?:days?|weeks?|months?|years?|quarter|diwali|march|april|may|june|july|august|"
            r"september|october|november|december|january|february))\b",
            re.I,
        ),
        re.compile(r"\b(immediately|right away|as soon as possible|asap)\b", re.I),
    ],
    "decision_makers": [
        re.compile(
            r"\b(?:discuss|talk|check|consult|speak)\s+(?:it\s+)?with\s+(?:my\s+)?"
            r"((?:wife|husband|father|mother|parents|son|daughter|family|partner|brother|"
            r"sister|boss|manager|director|team|spouse)(?:\s+and\s+(?:my\s+)?[a-z]+)?)",
            re.I,
        ),
        re.compile(
            r"\b(my\s+(?:wife|husband|father|mother|parents|partner|boss|director)"
            r"\s+(?:decides|will decide|has to approve|makes the decision))",
            re.I,
        ),
    ],
}
# Facts whose predicate names a field: {"subject": "Buyer", "predicate": "budget", "object": …}.
_FACT_WORDS = {
    "budget": ("budget", "afford", "price range"),
    "location": ("location", "area", "locality", "lives in", "wants in"),
    "requirement": ("requirement", "wants", "looking for", "needs", "interested in"),
    "timeline": ("timeline", "by when", "deadline", "plans to buy"),
    "decision_makers": ("decision maker", "decides", "consult"),
}


def _clean(value: Any) -> str | None:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    if value in (None, ""):
        return None
    text = " ".join(str(value).split()).strip(" ,.;:")
    return text[:MAX_VALUE] or None


def _from_payload(analysis: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    profile = analysis.get("buyer_profile") or {}
    for source in (profile.get("facts"), analysis.get("profile"), profile.get("profile")):
        if isinstance(source, dict):
            for name in PROFILE_FIELDS:
                value = _clean(source.get(name))
                if value and name not in found:
                    found[name] = value
    return found


def _from_facts(facts: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for fact in facts if isinstance(facts, list) else []:
        if not isinstance(fact, dict):
            continue
        predicate = str(fact.get("predicate") or "").lower()
        value = _clean(fact.get("object"))
        if not value:
            continue
        for name, words in _FACT_WORDS.items():
            if name not in found and any(word in predicate for word in words):
                found[name] = value
                break
    return found


def _buyer_lines(transcript: Any) -> list[str]:
    segments = transcript if isinstance(transcript, list) else []
    lines = [
        str(s.get("translation") or s.get("text") or "")
        for s in segments
        if isinstance(s, dict) and s.get("role") == "buyer"
    ]
    if not lines:  # roles unknown: every line
        lines = [str(s.get("text") or "") for s in segments if isinstance(s, dict)]
    return [line for line in lines if line.strip()]


def _from_text(lines: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        for name, patterns in _PATTERNS.items():
            if name in found:
                continue
            for pattern in patterns:
                match = pattern.search(line)
                if match and _clean(match.group(1)):
                    found[name] = _clean(match.group(1))
                    break
    return found


def phones_heard(transcript: Any, *, region: str) -> list[str]:
    """Numbers the buyer said ("call me on 98450 12345"), in E.164, in order, once each."""
    numbers: list[str] = []
    for line in _buyer_lines(transcript):
        for match in phonenumbers.PhoneNumberMatcher(line, region):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in numbers:
                numbers.append(e164)
    return numbers


def profile_extract(*, analysis: dict[str, Any], transcript: Any) -> dict[str, str]:
    """``{field: value}`` of ``PROFILE_FIELDS`` found in the analysis or the transcript."""
    found = _from_payload(analysis)
    for name, value in _from_facts(analysis.get("facts")).items():
        found.setdefault(name, value)
    for name, value in _from_text(_buyer_lines(transcript)).items():
        found.setdefault(name, value)
    return found
