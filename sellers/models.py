import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    ADMIN = "admin", "Agency admin"
    MANAGER = "manager", "Manager"
    USER = "user", "Seller"
    GUEST = "guest", "Guest"


class SellerManager(BaseUserManager["Seller"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "Seller":
        if not email:
            raise ValueError("An email is required")
        seller = self.model(email=self.normalize_email(email).lower(), **fields)
        seller.set_password(password)
        seller.save(using=self._db)
        return seller

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "Seller":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("name", email.split("@")[0])
        return self.create_user(email, password, **fields)


class Seller(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a seller, a manager, an agency admin, a guest, or ops staff.

    Everyone but ops staff belongs to an agency and has a phone number; the phone is how call
    records from the app and from Exotel are tied to a seller.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=100)
    username = models.CharField(max_length=150, unique=True, null=True, blank=True)
    phone = models.CharField(max_length=20, unique=True, null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="sellers", null=True, blank=True
    )
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, related_name="reports", null=True, blank=True
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Bumped to revoke every token issued before; tokens carry it in the ``sv`` claim.
    session_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SellerManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_staff=True) | (Q(agency__isnull=False) & Q(phone__isnull=False)),
                name="seller_has_agency_and_phone",
            ),
        ]
        indexes = [models.Index(fields=["agency", "role"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = self.email.lower()
        if not self.is_staff and (self.agency_id is None or not self.phone):
            raise ValidationError("A seller needs an agency and a phone number.")
        if self.manager_id is not None:
            if self.manager_id == self.id:
                raise ValidationError({"manager": "A seller cannot manage themselves."})
            if self.manager.agency_id != self.agency_id:
                raise ValidationError({"manager": "The manager must be in the same agency."})

    @property
    def is_guest(self) -> bool:
        return self.role == Role.GUEST

    @property
    def is_agency_admin(self) -> bool:
        return self.role == Role.ADMIN


class RevokedAccessToken(models.Model):
    """Access tokens revoked before they expire (logout). Rows past ``expires_at`` are purged."""

    jti = models.CharField(max_length=255, primary_key=True)
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="revoked_tokens")
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.jti


class RevokedSession(models.Model):
    """A signed-out session (the ``sid`` claim): every access and refresh token of it is refused.

    Refresh tokens rotate, so one session has many; revoking the session revokes them all at
    once, with or without the one the client still holds. Rows past ``expires_at`` are purged.
    """

    sid = models.CharField(max_length=64, primary_key=True)
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="revoked_sessions")
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sid
