import secrets
import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from chirpworks.models import BaseModel


def generate_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown timezone: {value}")


def validate_phone_region(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"Unknown phone region: {value}")


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

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="agency_name_ci_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


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


class TrackerSpeaker(models.TextChoices):
    SELLER = "seller"
    BUYER = "buyer"
    ANY = "any"


class Tracker(BaseModel):
    """A keyword tracker: phrases an agency wants counted in its calls, by who said them."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="trackers")
    name = models.CharField(max_length=100)
    phrases = models.JSONField(default=list)  # normalised: lower case, single spaces, no repeats
    speaker = models.CharField(
        max_length=8, choices=TrackerSpeaker.choices, default=TrackerSpeaker.ANY
    )
    created_by = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("agency", Lower("name"), name="tracker_name_per_agency_unique")
        ]

    def __str__(self) -> str:
        return self.name
