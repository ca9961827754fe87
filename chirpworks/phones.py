"""Phone numbers: parsed with ``phonenumbers``, stored in E.164, shown in the contract's formats.

"denorm" is ``+91 9876543210`` (country code, a space, the national number) and "raw" is
``00919876543210`` (the international dialling prefix form the old system stored).
"""

import re
from functools import lru_cache

import phonenumbers

from chirpworks.exceptions import ApplicationError


class InvalidPhoneNumber(ApplicationError):
    default_code = "invalid_phone"


def phone_parse(value: str | int | None, *, region: str = "IN") -> str:
    """Return ``value`` in E.164, or raise ``InvalidPhoneNumber``."""
    text = str(value or "").strip().strip("'\"")
    if not text:
        raise InvalidPhoneNumber("Phone number is required")
    e164 = _parse(text, region)
    if e164 is None:
        raise InvalidPhoneNumber(f"Invalid phone number: {value}")
    return e164


@lru_cache(maxsize=65536)
def _parse(text: str, region: str) -> str | None:
    # Cached: a call-log sync parses the same seller (and often buyer) numbers hundreds of times.
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# +91 and ten digits not starting with 0 (India's only national prefix): what ``phonenumbers``
# would answer, without its ~50 µs parse; list views format thousands of these per response.
_INDIAN_E164 = re.compile(r"\+91([1-9][0-9]{9})")


@lru_cache(maxsize=65536)
def _split(e164: str) -> tuple[int, int] | None:
    if match := _INDIAN_E164.fullmatch(e164):
        return 91, int(match.group(1))
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return number.country_code, number.national_number


# Cached whole: a list view formats the same few thousand numbers for every row it answers.
@lru_cache(maxsize=65536)
def _denorm(e164: str) -> str:
    parts = _split(e164)
    return f"+{parts[0]} {parts[1]}" if parts else e164


@lru_cache(maxsize=65536)
def _raw(e164: str) -> str:
    parts = _split(e164)
    return f"00{parts[0]}{parts[1]}" if parts else e164


def phone_denorm(e164: str | None) -> str | None:
    """``+919876543210`` → ``+91 9876543210``; anything unparseable is returned unchanged."""
    return _denorm(e164) if e164 else e164


def phone_raw(e164: str | None) -> str | None:
    """``+919876543210`` → ``00919876543210``; anything unparseable is returned unchanged."""
    return _raw(e164) if e164 else e164
