from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from sellers.models import RevokedAccessToken, RevokedSession, Seller
from sellers.tokens import SESSION_ID_CLAIM, SESSION_VERSION_CLAIM


class SellerJWTAuthentication(JWTAuthentication):
    """simplejwt's access-token check, plus revocation, in one query per request.

    The seller, their agency and whether this token's ``jti`` or its session (``sid``) was revoked
    at logout come back in a single SELECT; a token from before a password change fails on its
    session version.
    """

    def get_user(self, validated_token: Token) -> Seller:
        try:
            seller_id = validated_token[api_settings.USER_ID_CLAIM]
            jti = validated_token[api_settings.JTI_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc

        seller = (
            Seller.objects.select_related("agency")
            .annotate(
                token_revoked=Exists(
                    RevokedAccessToken.objects.filter(jti=jti, seller=OuterRef("pk"))
                ),
                session_revoked=Exists(
                    RevokedSession.objects.filter(
                        sid=str(validated_token.get(SESSION_ID_CLAIM) or ""), seller=OuterRef("pk")
                    )
                ),
            )
            .filter(pk=seller_id)
            .first()
        )
        if seller is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not seller.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if seller.token_revoked or seller.session_revoked:
            raise AuthenticationFailed(_("Token has been revoked"), code="token_revoked")
        if validated_token.get(SESSION_VERSION_CLAIM) != seller.session_version:
            raise AuthenticationFailed(_("Token has been revoked"), code="token_revoked")
        return seller
