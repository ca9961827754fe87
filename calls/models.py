from django.db import models

from chirpworks.models import BaseModel


class CallType(models.TextChoices):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    MISSED = "missed"
    REJECTED = "rejected"


class AppCallStatus(models.TextChoices):
    MISSED = "Missed"
    REJECTED = "Rejected"
    NOT_ANSWERED = "Not Answered"
    PROCESSING = "Processing"


class ExotelStatus(models.TextChoices):
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    IN_PROGRESS = "in-progress"


class RecordingStatus(models.TextChoices):
    NONE = "none", "No recording"
    PENDING = "pending", "Waiting for download"
    STORED = "stored", "Stored"
    FAILED = "failed", "Download failed"


class MobileAppCall(BaseModel):
    """One item of the mobile app's call-log sync. Kept (and linked) once reconciled."""

    # Indexed by (seller, start_time) and (seller, app_call_id), which lead with it.
    seller = models.ForeignKey(
        "sellers.Seller", on_delete=models.CASCADE, related_name="app_calls", db_index=False
    )
    app_call_id = models.CharField(max_length=100)
    buyer_number = models.CharField(max_length=20)
    seller_number = models.CharField(max_length=20)
    call_type = models.CharField(max_length=16, choices=CallType.choices)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    duration = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=AppCallStatus.choices)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="app_calls",
    )
    reconciled_at = models.DateTimeField(null=True, blank=True)
    # Exotel's Call Details API asked for this call's missing Exotel counterpart (lost webhook).
    exotel_lookups = models.PositiveSmallIntegerField(default=0)
    exotel_looked_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_time"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "app_call_id"], name="app_call_id_per_seller")
        ]
        indexes = [
            models.Index(fields=["seller", "start_time"]),
            models.Index(fields=["reconciled_at", "start_time"]),
            # A buyer's call history looks app calls up by the buyer's number.
            models.Index(fields=["buyer_number", "start_time"], name="app_call_buyer_number_start"),
        ]

    def __str__(self) -> str:
        return f"{self.call_type} {self.buyer_number} at {self.start_time:%Y-%m-%d %H:%M}"


class ExotelCall(BaseModel):
    """A call as Exotel reports it (Passthru applet or StatusCallback), one row per CallSid.

    CallSids are unique per agency only: another agency's CallSid is simply a new call for the
    caller, so nobody can learn of (or pre-register) another agency's calls.
    """

    call_sid = models.CharField(max_length=64)
    # Indexed by (agency, call_sid) and (seller, start_time), which lead with them.
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.CASCADE, related_name="exotel_calls", db_index=False
    )
    seller = models.ForeignKey(
        "sellers.Seller",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exotel_calls",
        db_index=False,
    )
    from_number = models.CharField(max_length=20, blank=True, default="")
    to_number = models.CharField(max_length=20, blank=True, default="")
    # The other party, worked out from CallFrom / CallTo / DialWhomNumber once the seller is known.
    buyer_number = models.CharField(max_length=20, blank=True, default="")
    # The seller's own leg of a two-leg call (its other party is a seller or an ExoPhone):
    # kept for ops, never a buyer, never matched, never a meeting.
    agent_leg = models.BooleanField(default=False)
    direction = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=16, choices=ExotelStatus.choices, blank=True, default="")
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True)
    recording_url = models.URLField(max_length=1000, blank=True, default="")
    recording = models.FileField(upload_to="recordings/exotel/%Y/%m/", blank=True, default="")
    recording_status = models.CharField(
        max_length=16, choices=RecordingStatus.choices, default=RecordingStatus.NONE
    )
    recording_duration = models.FloatField(null=True, blank=True)
    # Why the download failed for good (e.g. "Recording URL refused: ..."), shown in the admin.
    recording_error = models.CharField(max_length=255, blank=True, default="")
    # Outbox: when the download was last sent to the broker (or a retry is due); null = never.
    recording_queued_at = models.DateTimeField(null=True, blank=True)
    raw_payload = models.JSONField(default=dict, blank=True)
    mobile_call = models.OneToOneField(
        MobileAppCall,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exotel_call",
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exotel_calls",
    )
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_time"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "call_sid"], name="call_sid_per_agency")
        ]
        indexes = [
            models.Index(fields=["seller", "start_time"]),
            models.Index(fields=["reconciled_at", "start_time"]),
            models.Index(
                fields=["recording_status", "recording_queued_at"], name="exotel_rec_queue"
            ),
        ]

    def __str__(self) -> str:
        return self.call_sid
