import random

import phonenumbers
import pytest

from chirpworks.phones import phone_denorm, phone_raw


def _reference(e164: str) -> tuple[str, str]:
    """The formats as computed by ``phonenumbers`` alone (the behaviour before the fast path)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164, e164
    cc, national = number.country_code, number.national_number
    return f"+{cc} {national}", f"00{cc}{national}"


def test_indian_fast_path_matches_phonenumbers_on_many_numbers():
    rng = random.Random(7)  # noqa: S311 - reproducible samples, not secrets
    numbers = [f"+91{rng.randrange(1_000_000_000, 10_000_000_000)}" for _ in range(3000)]
    for number in numbers:
        assert (phone_denorm(number), phone_raw(number)) == _reference(number)


@pytest.mark.parametrize(
    "value",
    [
        "+919876543210",
        "+910987654321",  # a leading national prefix: phonenumbers' own rules apply
        "+9198765432",  # too short for the fast path
        "+14155552671",
        "+442071838750",
        "+390612345678",
        "+٩١٩٨٧٦٥٤٣٢١٠",  # non-ASCII digits never take the fast path
        "not a phone",
    ],
)
def test_formats_match_phonenumbers(value):
    assert (phone_denorm(value), phone_raw(value)) == _reference(value)


def test_empty_values_pass_through():
    assert phone_denorm(None) is None
    assert phone_raw("") == ""
