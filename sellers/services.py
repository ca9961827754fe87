"""Writes on sellers: accounts, sessions (JWTs) and teams."""

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from chirpworks.exceptions import (
    ApplicationError,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)
from chirpworks.phones import phone_parse
from sellers.lockout import auth_failure_record, auth_failures_check, auth_failures_clear
from sellers.models import RevokedAccessToken, RevokedSession, Role, Seller
from sellers.selectors import seller_chain_ids
from sellers.tokens import SESSION_ID_CLAIM, SESSION_VERSION_CLAIM, SellerRefreshToken

if TYPE_CHECKING:  # sellers sit below agencies: Seller's FK reaches Agency by its string name
    from agencies.models import Agency

logger = logging.getLogger(__name__)

# Roles a client may ask for at signup; anything higher is created as a plain seller.
SELF_SERVICE_ROLES = {Role.USER, Role.GUEST}


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _password_errors(password: str, seller: Seller) -> None:
    try:
        validate_password(password, user=seller)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code="weak_password") from exc


def seller_send_password_email(*, seller: Seller, password: str) -> None:
    send_mail(
        subject="Your ChirpWorks account",
        message=(
            f"Hello {seller.name},\n\nYour ChirpWorks account is ready.\n"
            f"Log in with {seller.email} and this password: {password}\n"
            "Please change it after your first login.\n"
        ),
        from_email=None,
        recipient_list=[seller.email],
    )


def seller_create(
    *,
    agency: "Agency",
    email: str,
    name: str,
    phone: str,
    role: str = Role.USER,
    password: str | None = None,
    username: str | None = None,
) -> Seller:
    """Create a seller in ``agency``; with no password, one is generated and emailed."""
    email = email.strip().lower()
    phone_e164 = phone_parse(phone, region=agency.default_phone_region)
    if (
        Seller.objects.filter(email=email).exists()
        or Seller.objects.filter(phone=phone_e164).exists()
    ):
        raise ConflictError("Seller already exists", code="seller_exists")

    seller = Seller(
        agency=agency,
        email=email,
        name=name.strip(),
        phone=phone_e164,
        role=role,
        username=username or None,
    )
    generated = password is None
    if generated:
        password = secrets.token_urlsafe(12)
    else:
        _password_errors(password, seller)
    seller.set_password(password)
    seller.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            seller.save()
    except IntegrityError as exc:
        raise ConflictError("Seller already exists", code="seller_exists") from exc
    if generated:
        transaction.on_commit(lambda: seller_send_password_email(seller=seller, password=password))
    return seller


def seller_signup(
    *,
    email: str,
    agency_name: str,
    phone: str,
    name: str,
    role: str | None = None,
    password: str | None = None,
) -> Seller:
    agencies = Seller._meta.get_field("agency").related_model.objects
    agency = agencies.filter(name__iexact=agency_name.strip()).first()
    if agency is None:
        raise ApplicationError("Invalid Agency Name", code="invalid_agency")
    granted = role if role in SELF_SERVICE_ROLES else Role.USER
    try:
        return seller_create(
            agency=agency, email=email, name=name, phone=phone, role=granted, password=password
        )
    except ConflictError as exc:
        # The contract answers 400 for an existing seller at signup.
        raise ApplicationError(exc.message, code=exc.code) from exc


def tokens_issue(*, seller: Seller, session_id: str | None = None) -> TokenPair:
    """A token pair of session ``session_id`` (a refresh rotation), else of a new session."""
    refresh = SellerRefreshToken.for_user(seller, session_id=session_id)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def auth_login(*, email: str, password: str) -> tuple[Seller, TokenPair]:
    auth_failures_check(scope="login", email=email)
    seller = authenticate(email=email.strip().lower(), password=password)
    if seller is None:
        auth_failure_record(scope="login", email=email)
        raise AuthenticationError("Invalid credentials", code="invalid_credentials")
    auth_failures_clear(scope="login", email=email)
    return seller, tokens_issue(seller=seller)


def auth_refresh(*, raw_refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted, a new pair is issued."""
    failure = AuthenticationError("Failed to refresh tokens", code="token_not_valid")
    try:
        old = SellerRefreshToken(raw_refresh)
    except TokenError as exc:
        raise failure from exc
    seller = (
        Seller.objects.select_related("agency")
        .filter(pk=old.get(api_settings.USER_ID_CLAIM), is_active=True)
        .first()
    )
    if seller is None or old.get(SESSION_VERSION_CLAIM) != seller.session_version:
        raise failure
    session_id = old.get(SESSION_ID_CLAIM)
    if session_id and RevokedSession.objects.filter(sid=session_id, seller=seller).exists():
        raise failure  # signed out: every refresh token of the session is dead
    with transaction.atomic():
        _, created = old.blacklist()
        if not created:  # a concurrent refresh with the same token already rotated it
            raise failure
        return tokens_issue(seller=seller, session_id=session_id)


def auth_logout(*, seller: Seller, access_token: AccessToken, raw_refresh: str | None) -> None:
    """Revoke this session: its access token and every refresh token of its ``sid``, body or not.

    A refresh token sent along is blacklisted too (it may be of a token issued before sessions
    had ids); another seller's refresh token is refused with 403.
    """
    with transaction.atomic():
        RevokedAccessToken.objects.get_or_create(
            jti=access_token[api_settings.JTI_CLAIM],
            defaults={"seller": seller, "expires_at": datetime_from_epoch(access_token["exp"])},
        )
        session_id = access_token.get(SESSION_ID_CLAIM)
        if session_id:
            # No token of the session outlives a refresh token issued now.
            expires = timezone.now() + api_settings.REFRESH_TOKEN_LIFETIME
            RevokedSession.objects.get_or_create(
                sid=str(session_id), defaults={"seller": seller, "expires_at": expires}
            )
        if raw_refresh:
            try:
                refresh = SellerRefreshToken(raw_refresh)
            except TokenError:
                return  # already expired or revoked: nothing left to revoke
            if refresh.get(api_settings.USER_ID_CLAIM) != str(seller.pk):
                raise ForbiddenError("Refresh token belongs to another user", code="token_mismatch")
            refresh.blacklist()


def seller_revoke_all_sessions(*, seller: Seller) -> None:
    Seller.objects.filter(pk=seller.pk).update(session_version=F("session_version") + 1)
    seller.refresh_from_db(fields=["session_version"])


def seller_change_password(*, email: str, old_password: str, new_password: str) -> Seller:
    auth_failures_check(scope="password", email=email)
    seller = Seller.objects.filter(email=email.strip().lower()).first()
    if seller is None:
        auth_failure_record(scope="password", email=email)
        raise NotFoundError("User not found", code="user_not_found")
    if not seller.check_password(old_password):
        auth_failure_record(scope="password", email=email)
        raise AuthenticationError("Invalid old password", code="invalid_credentials")
    _password_errors(new_password, seller)
    with transaction.atomic():
        seller.set_password(new_password)
        seller.save(update_fields=["password", "updated_at"])
        seller_revoke_all_sessions(seller=seller)
    transaction.on_commit(
        lambda: send_mail(
            subject="Your ChirpWorks password was changed",
            message=(
                f"Hello {seller.name},\n\nYour password was changed and every device was "
                "signed out. If this was not you, contact your agency admin.\n"
            ),
            from_email=None,
            recipient_list=[seller.email],
        )
    )
    return seller


def auth_test_token(*, secret: str, email: str) -> tuple[Seller, TokenPair]:
    configured = settings.TEST_TOKEN_SECRET
    if not configured:
        raise NotFoundError("Not found", code="not_found")
    if not hmac.compare_digest(secret.encode(), configured.encode()):
        raise ForbiddenError("Invalid secret", code="invalid_secret")
    seller = Seller.objects.select_related("agency").filter(email=email.strip().lower()).first()
    if seller is None or not seller.is_active:
        raise NotFoundError("User not found", code="user_not_found")
    return seller, tokens_issue(seller=seller)


def seller_set_manager(*, actor: Seller, user_email: str, manager_email: str) -> Seller:
    """Make ``manager_email`` the manager of ``user_email``; both in the actor's agency."""
    agency_sellers = Seller.objects.all() if actor.is_staff else actor.agency.sellers.all()
    by_email = {
        s.email: s
        for s in agency_sellers.filter(email__in=[user_email.lower(), manager_email.lower()])
    }
    seller = by_email.get(user_email.lower())
    manager = by_email.get(manager_email.lower())
    if seller is None:
        raise NotFoundError("User not found", code="user_not_found")
    if manager is None:
        raise NotFoundError("Manager not found", code="manager_not_found")
    if manager.role not in (Role.MANAGER, Role.ADMIN):
        raise ApplicationError("The manager must have the manager role", code="not_a_manager")
    if manager.agency_id != seller.agency_id:
        raise NotFoundError("Manager not found", code="manager_not_found")
    if seller.pk == manager.pk or seller.pk in seller_chain_ids(seller=manager):
        raise ApplicationError("That would make a management cycle", code="manager_cycle")
    seller.manager = manager
    seller.full_clean(exclude=["password"])
    seller.save(update_fields=["manager", "updated_at"])
    return seller


@dataclass(frozen=True)
class TokenCleanupResult:
    refresh_tokens: int
    access_tokens: int
    sessions: int = 0


def tokens_cleanup(*, dry_run: bool) -> TokenCleanupResult:
    """Purge what can no longer authenticate anyone: expired refresh and revoked access tokens.

    Same filter as simplejwt's ``flushexpiredtokens`` (blacklist rows cascade with them).
    """
    now = timezone.now()
    refresh = OutstandingToken.objects.filter(expires_at__lte=now)
    access = RevokedAccessToken.objects.filter(expires_at__lte=now)
    sessions = RevokedSession.objects.filter(expires_at__lte=now)
    result = TokenCleanupResult(
        refresh_tokens=refresh.count(), access_tokens=access.count(), sessions=sessions.count()
    )
    if not dry_run:
        with transaction.atomic():
            refresh.delete()
            access.delete()
            sessions.delete()
    return result


def seller_reset_password(*, seller: Seller) -> Seller:
    """Give ``seller`` a new generated password, sign out every device, and email it on commit.

    An inactive seller cannot log in, so nothing is sent to one (409).
    """
    if not seller.is_active:
        raise ConflictError("The seller is deactivated", code="seller_inactive")
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        seller.set_password(password)
        seller.save(update_fields=["password", "updated_at"])
        seller_revoke_all_sessions(seller=seller)
        transaction.on_commit(lambda: seller_send_password_email(seller=seller, password=password))
    logger.info("Password of seller %s reset; new one emailed", seller.pk)
    return seller


@dataclass(frozen=True)
class SellersDeactivateResult:
    deactivated: int
    already_inactive: int
    skipped_self: bool


def sellers_deactivate(*, seller_ids: list, actor: Seller | None = None) -> SellersDeactivateResult:
    """Deactivate sellers and revoke every session they have (access and refresh tokens).

    Bumping the session version fails their tokens at once; ``actor`` (the person doing it) is
    never deactivated, so ops cannot lock themselves out.
    """
    skipped_self = actor is not None and str(actor.pk) in {str(pk) for pk in seller_ids}
    targets = Seller.objects.filter(pk__in=seller_ids)
    if actor is not None:
        targets = targets.exclude(pk=actor.pk)
    with transaction.atomic():
        already_inactive = targets.filter(is_active=False).count()
        deactivated = targets.filter(is_active=True).update(
            is_active=False,
            session_version=F("session_version") + 1,
            updated_at=timezone.now(),
        )
    if deactivated:
        logger.info("Deactivated %d seller(s) and revoked their sessions", deactivated)
    return SellersDeactivateResult(
        deactivated=deactivated, already_inactive=already_inactive, skipped_self=skipped_self
    )
