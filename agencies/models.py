import secrets
import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

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
    # A buyer with no call for this many days becomes ``dormant`` (``buyers_mark_dormant``).
    buyer_dormant_after_days = models.PositiveIntegerField(default=60)

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


class Lifecycle(models.TextChoices):
    LEAD = "lead"
    PROSPECT = "prospect"
    NEGOTIATING = "negotiating"
    CUSTOMER = "customer"
    LOST = "lost"
    DORMANT = "dormant"


class LifecycleCause(models.TextChoices):
    ANALYSIS = "analysis"  # a meeting's deal stage
    USER = "user"  # a person chose it
    SYSTEM = "system"  # the dormancy sweep, a new call after dormancy
    MERGE = "merge"


class BuyerTag(BaseModel):
    """A tag of an agency, stored normalised (lower case, single spaces): "VIP " is "vip"."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="buyer_tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="buyer_tag_per_agency_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Buyer(BaseModel):
    """A customer of an agency, known by phone number (E.164, unique within the agency)."""

    # Indexed by (agency, phone), which leads with it.
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="buyers", db_index=False
    )
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
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.LEAD)
    # Who set the current lifecycle: the analysis never overrides a person's choice.
    lifecycle_cause = models.CharField(
        max_length=16, choices=LifecycleCause.choices, blank=True, default=""
    )
    lifecycle_changed_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(BuyerTag, related_name="buyers", blank=True)
    # The tag names, sorted: list rows and the audit trail read them without a join.
    tag_names = models.JSONField(default=list, blank=True)
    # Details said on calls or typed in: {field: {value, source, meeting_id, date, by}}
    # (``agencies.enrichment.PROFILE_FIELDS``); a person's value is never replaced by the analysis.
    profile = models.JSONField(default=dict, blank=True)
    last_note_at = models.DateTimeField(null=True, blank=True)
    # Soft delete: hidden everywhere until restored or purged (``purge_deleted_buyers``).
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set on a buyer absorbed by a merge (it is also deleted): its number routes to this one.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="absorbed"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-last_contacted_at", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "phone"], name="buyer_phone_per_agency_unique"
            )
        ]
        indexes = [
            models.Index(fields=["agency", "-last_contacted_at"]),
            models.Index(fields=["agency", "lifecycle"], name="buyer_agency_lifecycle"),
            # Few rows: "every deleted buyer" is a read of this small index.
            models.Index(
                fields=["agency", "deleted_at"],
                condition=Q(deleted_at__isnull=False),
                name="buyer_deleted",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.phone

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class BuyerPhone(BaseModel):
    """Another number of a buyer (a merged buyer's): calls from it land on ``buyer``."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="alternate_phones")
    phone = models.CharField(max_length=20)

    class Meta:
        ordering = ["phone"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "phone"], name="buyer_alternate_phone_per_agency_unique"
            )
        ]

    def __str__(self) -> str:
        return self.phone


class NoteKind(models.TextChoices):
    NOTE = "note"  # written by a person
    SYSTEM = "system"  # written by ChirpWorks (a restore by a new call)


class BuyerNote(BaseModel):
    """A note on a buyer, or on one of its meetings (``meeting`` set)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="notes")
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    author = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=NoteKind.choices, default=NoteKind.NOTE)
    text = models.TextField(max_length=5000)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="buyer_note_buyer_created"),
            models.Index(fields=["meeting", "-created_at"], name="buyer_note_meeting_created"),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class BuyerLifecycleChange(BaseModel):
    """One lifecycle transition and its cause: a meeting (analysis), a person, the system."""

    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="lifecycle_changes")
    from_state = models.CharField(max_length=16, choices=Lifecycle.choices)
    to_state = models.CharField(max_length=16, choices=Lifecycle.choices)
    cause = models.CharField(max_length=16, choices=LifecycleCause.choices)
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["buyer", "-created_at"], name="buyer_lifecycle_created")]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state} ({self.cause})"


class BuyerMerge(BaseModel):
    """A merge: ``merged_ids`` were absorbed into ``kept`` by ``actor``; ``snapshot`` keeps the
    absorbed buyers' fields as they were."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    kept = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="merges")
    merged_ids = models.JSONField(default=list)
    actor = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    snapshot = models.JSONField(default=list)
    moved = models.JSONField(default=dict)  # counts: meetings, actions, notes, …

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kept", "-created_at"], name="buyer_merge_kept_created")]

    def __str__(self) -> str:
        return f"{len(self.merged_ids)} merged into {self.kept_id}"


class TrackerSpeaker(models.TextChoices):
    SELLER = "seller"
    BUYER = "buyer"
    ANY = "any"


class Tracker(BaseModel):
    """A keyword tracker: phrases an agency wants counted in its calls, by who said them."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="trackers")
    name = models.CharField(max_length=100)
    phrases = models.JSONField(default=list)  # single spaces, no repeats in any case
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
