"""Meetings with realistic analysis, for the search tests (built with model-bakery)."""

from datetime import datetime, timedelta
from typing import Any

from model_bakery import baker

from agencies.models import Agency, Buyer
from meetings.models import Meeting
from sellers.models import Seller

_buyer_counter = iter(range(10_000, 99_999))


def make_buyer(agency: Agency, **fields: Any) -> Buyer:
    fields.setdefault("phone", f"+9197{next(_buyer_counter):08d}")
    fields.setdefault("name", f"Buyer {fields['phone'][-4:]}")
    return baker.make(Buyer, agency=agency, **fields)


def transcript(*lines: tuple[str, str]) -> list[dict[str, Any]]:
    segments, clock = [], 0.0
    for role, text in lines:
        segments.append(
            {
                "speaker": role,
                "role": role,
                "text": text,
                "translation": None,
                "confidence": 0.9,
                "start": clock,
                "end": clock + 5,
            }
        )
        clock += 5
    return segments


def make_meeting(
    seller: Seller,
    *,
    buyer: Buyer | None = None,
    start: datetime,
    seconds: int = 300,
    **fields: Any,
) -> Meeting:
    buyer = buyer or make_buyer(seller.agency)
    fields.setdefault("title", f"Meeting between {buyer.phone} and {seller.name}")
    return baker.make(
        Meeting,
        agency=seller.agency,
        seller=seller,
        buyer=buyer,
        start_time=start,
        end_time=start + timedelta(seconds=seconds),
        **fields,
    )
