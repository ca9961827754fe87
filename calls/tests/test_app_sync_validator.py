"""The sync's fast item validator answers exactly what ``AppCallItemSerializer`` answers."""

import pytest
from rest_framework.exceptions import ValidationError

from calls.serializers import AppCallItemSerializer, AppCallItemValidator

pytestmark = pytest.mark.django_db

VALID = {
    "sellerNumber": None,  # the seller's phone, filled in by the test
    "appCallId": "android-1",
    "buyerNumber": "+91 98123 45678",
    "callType": "outgoing",
    "startTime": "2026-11-18T10:00:00",
    "endTime": "2026-11-18T10:01:30",
    "duration": 90,
}
VARIANTS = [
    {},
    {"appCallId": "  padded  "},
    {"callType": " Incoming "},
    {"callType": "MISSED", "duration": "0"},
    {"endTime": None},
    {"endTime": None, "duration": None},
    {"endTime": ""},
    {"duration": "45.0"},
    {"duration": 45.7},
    {"duration": True},
    {"duration": -1},
    {"duration": "1e9"},
    {"duration": "nan"},
    {"duration": ""},
    {"startTime": "2026-11-18T10:00:00Z", "endTime": "2026-11-18T15:31:30+05:30"},
    {"startTime": "yesterday"},
    {"startTime": "0001-01-01T00:00:00"},
    {"endTime": "2026-11-18T09:00:00"},
    {"buyerNumber": "withheld"},
    {"buyerNumber": "   "},
    {"buyerNumber": 919812345678},
    {"buyerNumber": "+91 98123 45678\x00"},
    {"buyerNumber": "+91 98123 4567८"},
    {"sellerNumber": "+919800000000"},
    {"sellerNumber": "not a phone"},
    {"appCallId": ""},
    {"appCallId": "x" * 101},
    {"appCallId": 17},
    {"appCallId": None},
    {"callType": "voicemail"},
    {"callType": ["outgoing"]},
    {"startTime": None},
]
MISSING = ["sellerNumber", "appCallId", "buyerNumber", "callType", "startTime", "endTime"]


def answer(validate, item):
    try:
        return "ok", validate(item)
    except ValidationError as exc:
        return "error", exc.detail


@pytest.mark.parametrize("change", [*VARIANTS, *({"-": key} for key in MISSING)])
def test_the_same_values_and_errors_as_the_serializer(seller, change):
    item = {**VALID, "sellerNumber": seller.phone}
    item.update({k: v for k, v in change.items() if k != "-"})
    item.pop(change.get("-"), None)
    serializer = AppCallItemSerializer(context={"seller": seller, "agency": seller.agency})
    validator = AppCallItemValidator(seller=seller, agency=seller.agency)
    assert answer(validator, item) == answer(serializer.run_validation, item)
