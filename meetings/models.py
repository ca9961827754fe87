import contextvars
import uuid

from django.db import models

from chirpworks.models import BaseModel


class MeetingSource(models.TextChoices):
    PHONE = "phone"
    VIDEO_CALL = "video_call"
    GOOGLE_MEETS = "google_meets"


class JobStatus(models.TextChoices):
    INIT = "init"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILURE = "failure"


PERFORMANCE_METRICS = (
    "intro",
    "rapport_building",
    "need_realization",
    "script_adherance",  # sic: the contract's key
    "objection_handling",
    "pricing_and_negotiation",
    "closure_and_next_steps",
    "conversation_structure_and_flow",
)
# Where a call leaves the deal, as the analysis names it (``Meeting.deal_stage``); in order.
DEAL_STAGES = (
    "Discovery & Lead Qualification",
    "Solution Presentation / Demo",
    "Stakeholder Alignment",
    "Negotiation / Approval",
    "Likely Won",
    "Likely Lost",
)


def _seller_agency_ids(meetings) -> dict:
    """Each meeting's seller's agency id, as the database has it (one query for all)."""
    from sellers.models import Seller

    ids = {m.seller_id for m in meetings if m.seller_id is not None}
    if not ids:
        return {}
    return dict(Seller.objects.filter(pk__in=ids).values_list("pk", "agency_id"))


_AGENCY_FROM_SELLER = contextvars.ContextVar("meeting_agency_from_seller", default=False)


class MeetingQuerySet(models.QuerySet):
    """Keeps ``Meeting.agency`` its seller's agency on the bulk paths ``save()`` does not see."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        agencies = _seller_agency_ids(objs)
        for meeting in objs:
            if meeting.seller_id in agencies:
                meeting.agency_id = agencies[meeting.seller_id]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        fields = list(fields)
        moves_seller = bool({"seller", "seller_id"} & set(fields))
        if {"agency", "agency_id"} & set(fields) and not moves_seller:
            raise ValueError("A meeting's agency is its seller's: change the seller instead")
        objs = list(objs)
        if moves_seller:
            agencies = _seller_agency_ids(objs)
            for meeting in objs:
                meeting.agency_id = agencies.get(meeting.seller_id, meeting.agency_id)
            fields = [f for f in fields if f not in ("agency", "agency_id")] + ["agency"]
        token = _AGENCY_FROM_SELLER.set(True)
        try:
            return super().bulk_update(objs, fields, *args, **kwargs)
        finally:
            _AGENCY_FROM_SELLER.reset(token)

    bulk_update.alters_data = True

    def update(self, **kwargs):
        if _AGENCY_FROM_SELLER.get():
            return super().update(**kwargs)  # bulk_update has set the agencies from the sellers
        if "agency" in kwargs or "agency_id" in kwargs:
            raise ValueError("A meeting's agency is its seller's: change the seller instead")
        for key in ("seller", "seller_id"):
            if key not in kwargs:
                continue
            seller = kwargs[key]
            seller_id = getattr(seller, "pk", seller)
            if not isinstance(seller_id, uuid.UUID | str):
                raise ValueError("Move meetings to a seller given as an instance or an id")
            from sellers.models import Seller

            kwargs["agency_id"] = Seller.objects.values_list("agency_id", flat=True).get(
                pk=seller_id
            )
        return super().update(**kwargs)

    update.alters_data = True


class Meeting(BaseModel):
    """One answered call (or video meeting) between a seller and a buyer, and its analysis.

    ``agency`` is always the seller's agency (denormalised for agency-wide reads): ``save()``
    and the manager's ``bulk_create`` / ``update`` set it from the seller, whatever was given.
    """

    # No single-column indexes: the (agency | seller | buyer, start_time) indexes lead with them,
    # and every index is written again for each of the 100,000 meetings a backlog makes.
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.CASCADE, related_name="meetings", db_index=False
    )
    seller = models.ForeignKey(
        "sellers.Seller", on_delete=models.CASCADE, related_name="meetings", db_index=False
    )
    buyer = models.ForeignKey(
        "agencies.Buyer", on_delete=models.CASCADE, related_name="meetings", db_index=False
    )
    source = models.CharField(
        max_length=16, choices=MeetingSource.choices, default=MeetingSource.PHONE
    )
    direction = models.CharField(max_length=16, blank=True, default="")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    recording = models.FileField(upload_to="recordings/meetings/%Y/%m/", blank=True, default="")
    title = models.CharField(max_length=300)
    transcription = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=list, blank=True)
    key_discussion_points = models.JSONField(default=list, blank=True)
    type = models.JSONField(default=None, null=True, blank=True)
    detected_call_type = models.JSONField(default=None, null=True, blank=True)
    detected_products = models.JSONField(default=list, blank=True)
    qa_pairs = models.JSONField(default=list, blank=True)
    facts = models.JSONField(default=list, blank=True)
    deal_stage = models.JSONField(default=None, null=True, blank=True)
    risks = models.JSONField(default=list, blank=True)
    # Figures the analyser derives beyond the contract's fields (sentiment, talk ratio, ...).
    analysis_extras = models.JSONField(default=dict, blank=True)
    # What processing could not do well, for the app and the admin:
    # [{"code": str, "message": str, "channel": "seller" | "buyer" | "mono", ...}]
    warnings = models.JSONField(default=list, blank=True)
    # Whether the seller said the call is recorded (meetings.disclosure); None until
    # there is a transcript.
    recording_disclosed = models.BooleanField(null=True, blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-start_time"]
        indexes = [
            models.Index(fields=["seller", "start_time"]),
            models.Index(fields=["agency", "start_time"]),
            models.Index(fields=["buyer", "start_time"]),
            # The buyers a scope's sellers met (``insights.buyer_selectors.buyer_visible_q``),
            # read from the index alone instead of every meeting row.
            models.Index(fields=["seller", "buyer"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"seller", "seller_id", "agency", "agency_id"} & {
            *update_fields
        }:
            return super().save(*args, **kwargs)  # neither side of the invariant is written
        agency_id = _seller_agency_ids([self]).get(self.seller_id)
        if agency_id is not None and agency_id != self.agency_id:
            self.agency_id = agency_id
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "agency"}
        super().save(*args, **kwargs)

    @property
    def duration_seconds(self) -> int:
        if not self.end_time:
            return 0
        return max(0, int((self.end_time - self.start_time).total_seconds()))


class CorrectionField(models.TextChoices):
    SUMMARY = "summary"
    DEAL_STAGE = "deal_stage"
    DETECTED_PRODUCTS = "detected_products"


class MeetingCorrection(BaseModel):
    """A person's correction of one analysis field of a meeting: who, when, what it was before.

    The newest correction of a field is the meeting's value; re-analysis never overwrites a
    corrected field (``meetings.analysis_services.meeting_apply_analysis``).
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=32, choices=CorrectionField.choices)
    value = models.JSONField(null=True, blank=True)
    previous = models.JSONField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        "sellers.Seller",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_corrections",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["meeting", "field", "created_at"])]

    def __str__(self) -> str:
        return f"{self.field} of {self.meeting_id}"


class Job(BaseModel):
    """The processing of one meeting's recording: transcription then analysis."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="job")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.INIT)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    audio_location = models.CharField(max_length=1000, blank=True, default="")
    # Outbox: when a message for this job was last sent to the broker (or, for a retry, when it
    # is due); null = never sent, so the sweep sends it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # The worker processing the job renews this while it works; once it has passed, the worker is
    # presumed dead and a redelivered message or the sweep takes the job over.
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "started_at"]),
            models.Index(fields=["status", "lease_expires_at"], name="job_status_lease"),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.status})"


class CallPerformance(BaseModel):
    """The eight performance metrics of a meeting, each ``{score 0-10, date?, reason?}``."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="performance")
    intro = models.JSONField(null=True, blank=True)
    rapport_building = models.JSONField(null=True, blank=True)
    need_realization = models.JSONField(null=True, blank=True)
    script_adherance = models.JSONField(null=True, blank=True)
    objection_handling = models.JSONField(null=True, blank=True)
    pricing_and_negotiation = models.JSONField(null=True, blank=True)
    closure_and_next_steps = models.JSONField(null=True, blank=True)
    conversation_structure_and_flow = models.JSONField(null=True, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    product_details_analysis = models.JSONField(null=True, blank=True)
    objection_handling_analysis = models.JSONField(null=True, blank=True)
    overall_performance_summary = models.JSONField(null=True, blank=True)
    analyzed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Performance of {self.meeting_id}"

    def metrics(self) -> dict[str, dict | None]:
        return {name: getattr(self, name) for name in PERFORMANCE_METRICS}


class ScoreReviewStatus(models.TextChoices):
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"


class CallScoreReview(BaseModel):
    """A seller's acknowledgement or dispute of their call's score, with a comment."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="score_reviews")
    seller = models.ForeignKey("sellers.Seller", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=ScoreReviewStatus.choices)
    comment = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "seller"], name="scorereview_once_per_seller"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.meeting_id}"


class MetricOverride(BaseModel):
    """A manager's score for one metric of a call; it wins over every (re-)analysis."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="metric_overrides")
    metric = models.CharField(max_length=40, choices=[(m, m) for m in PERFORMANCE_METRICS])
    score = models.FloatField()
    reason = models.TextField()
    overridden_by = models.ForeignKey(
        "sellers.Seller", on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "metric"], name="metricoverride_once")
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.score} on {self.meeting_id}"


class TrackerHit(models.Model):
    """One phrase of an agency's keyword tracker said in a call: by whom and when."""

    id = models.BigAutoField(primary_key=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="tracker_hits")
    tracker = models.ForeignKey("agencies.Tracker", on_delete=models.CASCADE, related_name="hits")
    # Denormalised from the meeting so a period's hits are counted from this table alone.
    seller = models.ForeignKey("sellers.Seller", on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()
    speaker = models.CharField(max_length=8)  # seller | buyer | unknown
    phrase = models.CharField(max_length=200)
    start = models.FloatField(null=True)  # seconds into the call
    text = models.CharField(max_length=300)  # the sentence it was said in

    class Meta:
        ordering = ["meeting", "start"]
        indexes = [
            models.Index(fields=["tracker", "occurred_at"], name="trackerhit_tracker_time"),
            models.Index(fields=["seller", "occurred_at"], name="trackerhit_seller_time"),
        ]

    def __str__(self) -> str:
        return f"{self.phrase} in {self.meeting_id}"
