"""Personal data out of text before it leaves the process (LLMs, embeddings) or enters the index.

``pii_redact(text, patterns=...)`` replaces, in this order of precedence:

- emails → ``[EMAIL]``;
- Aadhaar numbers (12 digits, first 2-9, spaced 4-4-4 or not, Verhoeff check digit valid) →
  ``[AADHAAR]``;
- card numbers (13-19 digits, Luhn valid) → ``[CARD]``;
- phone numbers (Indian mobiles with or without +91 / 0091 / 0, landlines with an STD code,
  any +country number) → ``[PHONE]``;
- any other run of 9-18 digits (bank accounts, policy and customer numbers) → ``[ACCOUNT]``;
- PAN (``ABCPE1234F``: 5 letters, the 4th the holder type, 4 digits, 1 letter) → ``[PAN]``;
- IFSC codes (``HDFC0001234``: 4 letters, a 0, 6 letters or digits) → ``[IFSC]``;
- each of the agency's own patterns (``Agency.settings["pii_patterns"]``, regular
  expressions) → ``[REDACTED]``, looked for before all of the above.

The checksums keep dates, amounts and ids that merely look alike: a 12-digit number that fails
Verhoeff is not called an Aadhaar number (it is still removed as a digit run). Stored
transcripts stay whole; only copies that leave are redacted.

Patterns, not Presidio: Presidio's analyzer needs spaCy and a language model that is not on
PyPI, for recognizers that are themselves regular expressions plus checksums; these are those,
tested in ``chirpworks/tests/test_redaction.py``.
"""

import logging
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

MAX_AGENCY_PATTERN_CHARS = 200

# Verhoeff's multiplication and permutation tables (the Aadhaar check digit).
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


_SEP = r"[ -]?"
# Not inside a longer number: no digit (or digit and separator) just before or after.
_NB = r"(?<![\d+])(?<!\d[ -])"
_NA = r"(?![ -]?\d)"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE_INTL = re.compile(
    rf"(?<![\w+])(?:\+|00)[1-9]\d{{0,2}}{_SEP}\(?\d{{1,5}}\)?(?:{_SEP}\d){{5,11}}{_NA}"
)
_AADHAAR = re.compile(rf"{_NB}[2-9]\d{{3}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_NA}")
# Not the digits after a decimal point ("succeeded in 0.0174470330002805s" is no card).
_CARD = re.compile(rf"(?<!\d\.){_NB}\d(?:{_SEP}\d){{12,18}}{_NA}")
_PHONE = re.compile(
    rf"{_NB}(?:"
    rf"(?:(?:91|0){_SEP})?[6-9](?:{_SEP}\d){{9}}"  # mobiles: 98765 43210, 09876543210, 91 98...
    rf"|0\d{{2,4}}{_SEP}\d(?:{_SEP}\d){{5,7}}"  # landlines with an STD code: 080 4711 2233
    rf"){_NA}"
)
# Not the digits after a decimal point, as for cards.
_DIGIT_RUN = re.compile(rf"(?<!\d\.){_NB}\d(?:{_SEP}\d){{8,17}}{_NA}")
_PAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{3}[PCHFATBLJGpchfatbljg][A-Za-z]\d{4}[A-Za-z](?![A-Za-z0-9])"
)
_IFSC = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{4}0[A-Za-z0-9]{6}(?![A-Za-z0-9])")


_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}")


def _account_like(text: str) -> bool:
    """A long number as people say one, not a date followed by more digits."""
    return not _DATE_LIKE.match(text)


def _ifsc_like(text: str) -> bool:
    branch = text[5:]
    return any(c.isdigit() for c in branch) or text.isupper()


Recognizer = tuple[str, re.Pattern, Callable[[str], bool] | None]

RECOGNIZERS: tuple[Recognizer, ...] = (
    ("EMAIL", _EMAIL, None),
    ("PHONE", _PHONE_INTL, None),
    ("AADHAAR", _AADHAAR, lambda m: verhoeff_valid(_digits(m))),
    ("CARD", _CARD, lambda m: luhn_valid(_digits(m))),
    ("PHONE", _PHONE, None),
    ("ACCOUNT", _DIGIT_RUN, _account_like),
    ("PAN", _PAN, None),
    ("IFSC", _IFSC, _ifsc_like),
)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def agency_pattern_errors(patterns: Any) -> list[str]:
    """Why ``patterns`` (an agency's ``pii_patterns`` setting) is unusable; empty when fine."""
    if patterns in (None, []):
        return []
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        return ["pii_patterns must be a list of regular expressions (strings)"]
    errors = []
    for pattern in patterns:
        if not pattern or len(pattern) > MAX_AGENCY_PATTERN_CHARS:
            errors.append(f"pii_patterns: {pattern!r} must have 1-{MAX_AGENCY_PATTERN_CHARS} chars")
        elif _compiled(pattern) is None:
            errors.append(f"pii_patterns: {pattern!r} is not a valid regular expression")
    return errors


def agency_pii_patterns(agency: Any) -> tuple[str, ...]:
    """The agency's own patterns (``settings["pii_patterns"]``), the unusable ones left out."""
    settings = getattr(agency, "settings", None)
    patterns = settings.get("pii_patterns") if isinstance(settings, dict) else None
    if not isinstance(patterns, list):
        return ()
    usable = tuple(
        p
        for p in patterns
        if isinstance(p, str) and 0 < len(p) <= MAX_AGENCY_PATTERN_CHARS and _compiled(p)
    )
    if len(usable) != len(patterns):
        logger.warning("Agency %s has unusable pii_patterns; they are skipped", agency.pk)
    return usable


def pii_find(
    text: str, *, patterns: Iterable[str] = (), only: frozenset[str] | None = None
) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of every piece of personal data in ``text``, left to right.

    ``only`` limits the built-in recognizers to those labels (the logs use a few).
    """
    taken: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in taken)

    # The agency's own formats first: it knows them best (a policy number is not an account).
    recognizers: list[Recognizer] = []
    for pattern in patterns:
        compiled = _compiled(pattern)
        if compiled is not None:
            recognizers.append(("REDACTED", compiled, None))
    recognizers += [r for r in RECOGNIZERS if only is None or r[0] in only]
    for label, regex, valid in recognizers:
        for match in regex.finditer(text):
            start, end = match.span()
            if end > start and free(start, end) and (valid is None or valid(match.group())):
                taken.append((start, end, label))
    return sorted(taken)


_MAYBE_PII = re.compile(r"\d|@")


def pii_redact(
    text: str, *, patterns: Iterable[str] = (), only: frozenset[str] | None = None
) -> str:
    """``text`` with every piece of personal data replaced by its label (``[PHONE]``, …)."""
    patterns = tuple(patterns)
    # Every built-in kind has a digit or an "@": text without either is left as it is.
    if not text or (not patterns and not _MAYBE_PII.search(text)):
        return text
    out, last = [], 0
    for start, end, label in pii_find(text, patterns=patterns, only=only):
        out += [text[last:start], f"[{label}]"]
        last = end
    out.append(text[last:])
    return "".join(out)


def pii_redactor(agency: Any) -> Callable[[str], str]:
    """``pii_redact`` with the agency's own patterns, for redacting many texts of one agency."""
    patterns = agency_pii_patterns(agency) if agency is not None else ()
    return lambda text: pii_redact(text, patterns=patterns)


def transcript_redact(
    segments: list[dict[str, Any]], *, patterns: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """A redacted copy of transcript segments (``text`` and ``translation``); the input is kept."""
    patterns = tuple(patterns)
    redacted = []
    for segment in segments:
        copy = dict(segment)
        for key in ("text", "translation"):
            if isinstance(copy.get(key), str):
                copy[key] = pii_redact(copy[key], patterns=patterns)
        redacted.append(copy)
    return redacted
