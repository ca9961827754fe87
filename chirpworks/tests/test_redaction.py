"""chirpworks.redaction: what is personal data, what is not, and the checksums that decide."""

import pytest

from chirpworks.redaction import (
    agency_pattern_errors,
    agency_pii_patterns,
    luhn_valid,
    pii_redact,
    transcript_redact,
    verhoeff_valid,
)

AADHAAR = "234123412346"  # Verhoeff-valid
CARD = "4111111111111111"  # Luhn-valid (a test Visa number)


def test_checksums():
    assert verhoeff_valid(AADHAAR)
    assert not verhoeff_valid("234123412345")
    assert luhn_valid(CARD) and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (f"my aadhaar is {AADHAAR[:4]} {AADHAAR[4:8]} {AADHAAR[8:]}", "AADHAAR"),
        (f"aadhaar {AADHAAR[:4]}-{AADHAAR[4:8]}-{AADHAAR[8:]} please", "AADHAAR"),
        ("card 4111 1111 1111 1111 expires", "CARD"),
        ("amex 3782-822463-10005", "CARD"),
        ("PAN is ABCPE1234F", "PAN"),
        ("pan abcpe1234f sir", "PAN"),
        ("IFSC HDFC0001234", "IFSC"),
        ("ifsc code sbin0004567", "IFSC"),
        ("account 5010 0123 4567 9", "ACCOUNT"),
        ("savings account 000123456789012", "ACCOUNT"),
        ("call me on 98123 45678", "PHONE"),
        ("my number is +91 98123 45678", "PHONE"),
        ("whatsapp 0091-9812345678", "PHONE"),
        ("dial 09812345678", "PHONE"),
        ("it is 98 12 34 56 78", "PHONE"),
        ("office 080 4711 2233", "PHONE"),
        ("uk +44 20 7946 0958", "PHONE"),
        ("mail arjun.mehta+policy@example.co.in", "EMAIL"),
    ],
)
def test_each_kind_is_redacted(text, label):
    redacted = pii_redact(text)
    assert f"[{label}]" in redacted
    digits = [c for c in redacted if c.isdigit()]
    assert len(digits) <= 1, redacted  # nothing of the number is left ("uk +44": none)


def test_an_aadhaar_lookalike_failing_verhoeff_is_not_called_aadhaar():
    assert pii_redact("ref 2341 2341 2345") == "ref [ACCOUNT]"


def test_a_card_failing_luhn_is_not_called_a_card():
    assert pii_redact("4111 1111 1111 1112") == "[ACCOUNT]"


@pytest.mark.parametrize(
    "text",
    [
        "The premium is 12000 a year for 20 years, 1,50,000 cover, at 10:30 on 2026-11-18.",
        "Term Shield covers 1 crore; the rider costs 2500 rupees.",
        "Let us meet on 18 November at 5 pm, call reference 12345.",
        "We spoke on 2025-03-01 10 30 about the plan.",
        "The ZX9000 model and SKU AB-1234 are in stock.",
    ],
)
def test_ordinary_numbers_dates_and_words_stay(text):
    assert pii_redact(text) == text


def test_agency_patterns_are_redacted_too():
    text = "policy POL-2024-889911 and member id MEM/7781"
    assert pii_redact(text, patterns=[r"POL-\d{4}-\d{6}", r"MEM/\d+"]) == (
        "policy [REDACTED] and member id [REDACTED]"
    )


def test_agency_pattern_validation():
    assert agency_pattern_errors([r"POL-\d+"]) == []
    assert agency_pattern_errors(None) == []
    assert agency_pattern_errors("POL") != []
    assert agency_pattern_errors(["(unclosed"]) != []
    assert agency_pattern_errors(["x" * 201]) != []


def test_unusable_agency_patterns_are_skipped():
    agency = type("A", (), {"pk": 1, "settings": {"pii_patterns": [r"POL-\d+", "(bad", 3]}})()
    assert agency_pii_patterns(agency) == (r"POL-\d+",)


def test_transcript_redact_copies_and_keeps_the_original():
    segments = [
        {"speaker": "buyer", "role": "buyer", "text": "call 98123 45678", "translation": None},
        {"speaker": "seller", "text": "ok", "translation": "mail a@b.in"},
    ]
    redacted = transcript_redact(segments)
    assert redacted[0]["text"] == "call [PHONE]"
    assert redacted[1]["translation"] == "mail [EMAIL]"
    assert segments[0]["text"] == "call 98123 45678"  # the stored transcript stays whole


def test_the_digits_of_a_decimal_number_are_no_card():
    # A Celery line read "succeeded in 0.[CARD]s": 0174470330002805 passes the Luhn check.
    assert pii_redact("succeeded in 0.0174470330002805s") == "succeeded in 0.0174470330002805s"
    assert pii_redact("card 4111 1111 1111 1111 on file") == "card [CARD] on file"
