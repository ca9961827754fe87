import secrets
import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from chirpworks.models import BaseModel
from chirpworks.redaction import agency_pattern_errors


def generate_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown timezone: {value}")


def validate_phone_region(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"Unknown phone region: {value}")


# Yes/no switches in Agency.settings (off when absent).
BOOLEAN_SETTINGS = (
    "recording_disclosure_required",  # flag calls where the seller never said it is recorded
    "guests_can_search_answer",  # guests may use /api/search/answer
)


class Agency(BaseModel):
    """The tenant: every seller, buyer, product and call belongs to exactly one agency."""

    name = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    timezone = models.CharField(
        max_length=64, default="Asia/Kolkata", validators=[validate_timezone]
    )
    default_phone_region = models.CharField(
        max_length=2, default="IN", validators=[validate_phone_region]
    )
    exotel_webhook_secret = models.CharField(
        max_length=64, default=generate_webhook_secret, unique=True
    )
    settings = models.JSONField(default=dict, blank=True)
    # Recordings older than this are deleted (transcripts and analysis stay); empty = the
    # RECORDING_RETENTION_DAYS setting.
    recording_retention_days = models.PositiveIntegerField(null=True, blank=True)
    # The agency's own Exotel account for API calls (recording downloads, Call Details); empty =
    # the platform's EXOTEL_* settings (``calls.exotel.exotel_credentials_for``). Never logged.
    exotel_account_sid = models.CharField(max_length=100, blank=True, default="")
    exotel_api_key = models.CharField(max_length=200, blank=True, default="")
    exotel_api_token = models.CharField(max_length=200, blank=True, default="")
    exotel_api_host = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="api.exotel.com (Singapore) or api.in.exotel.com (Mumbai); empty = the setting",
    )

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="agency_name_ci_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def setting_enabled(self, name: str) -> bool:
        """A yes/no agency setting (``settings[name]``), off unless set to true."""
        return isinstance(self.settings, dict) and self.settings.get(name) is True

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.settings, dict):
            raise ValidationError({"settings": "Settings must be a JSON object."})
        errors = agency_pattern_errors(self.settings.get("pii_patterns"))
        for name in BOOLEAN_SETTINGS:
            if name in self.settings and not isinstance(self.settings[name], bool):
                errors.append(f"{name} must be true or false")
        if errors:
            raise ValidationError({"settings": errors})


class Buyer(BaseModel):
    """A customer of an agency, known by phone number (E.164, unique within the agency)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="buyers")
    phone = models.CharField(max_length=20)
    name = models.CharField(max_length=100, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    company_name = models.CharField(max_length=100, blank=True, default="")
    risks = models.JSONField(default=list, blank=True)
    products_discussed = models.JSONField(default=list, blank=True)
    key_highlights = models.JSONField(default=list, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    last_contacted_by = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who added the buyer through the app (``POST /api/buyers/create``): it makes the buyer
    # visible to them, and to whoever sees their data, before any call.
    created_by = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-last_contacted_at", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "phone"], name="buyer_phone_per_agency_unique"
            )
        ]
        indexes = [models.Index(fields=["agency", "-last_contacted_at"])]

    def __str__(self) -> str:
        return self.name or self.phone
