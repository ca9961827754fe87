"""JWTs carrying the contract's claims plus ``sv``, the seller's session version, and ``sid``.

``sid`` names the session a login starts: every token of it (the access tokens and each rotated
refresh token) carries the same ``sid``, so logout revokes the whole session at once.
"""

import uuid
from typing import Any

from rest_framework_simplejwt.tokens import RefreshToken

from chirpworks.phones import phone_raw
from sellers.models import Seller

SESSION_VERSION_CLAIM = "sv"
SESSION_ID_CLAIM = "sid"


def seller_claims(seller: Seller) -> dict[str, Any]:
    agency = seller.agency
    return {
        "user_name": seller.name,
        "user_email": seller.email,
        "user_role": seller.role,
        "user_phone": phone_raw(seller.phone),
        "agency_id": str(agency.id) if agency else None,
        "agency_name": agency.name if agency else None,
        SESSION_VERSION_CLAIM: seller.session_version,
    }


class SellerRefreshToken(RefreshToken):
    """A refresh token whose access tokens inherit the seller's claims (simplejwt copies them)."""

    @classmethod
    def for_user(cls, user: Seller, *, session_id: str | None = None) -> "SellerRefreshToken":
        """A refresh token of session ``session_id`` (a rotation), else of a new session."""
        token = super().for_user(user)
        for claim, value in seller_claims(user).items():
            token[claim] = value
        token[SESSION_ID_CLAIM] = session_id or uuid.uuid4().hex
        return token
