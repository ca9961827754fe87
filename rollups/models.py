from django.db import models

from chirpworks.models import BaseModel


class SellerDailyCalls(BaseModel):
    """One seller's calls on one agency-local day, counted as ``rollups.analytics`` counts them.

    Derived data: ``rollups.services.daily_rollups_refresh`` recomputes a row from the meetings and
    app calls whenever they change; ``manage.py rollups_rebuild`` recomputes any range.
    """

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    seller = models.ForeignKey("sellers.Seller", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    outgoing_answered = models.PositiveIntegerField(default=0)
    outgoing_unanswered = models.PositiveIntegerField(default=0)
    incoming_answered = models.PositiveIntegerField(default=0)
    incoming_unanswered = models.PositiveIntegerField(default=0)
    # App calls by status (unanswered ones: Missed or Rejected, and Not Answered).
    missed = models.PositiveIntegerField(default=0)
    not_answered = models.PositiveIntegerField(default=0)
    meetings = models.PositiveIntegerField(default=0)
    talk_seconds = models.PositiveBigIntegerField(default=0)
    leads = models.PositiveIntegerField(default=0)
    # The day's distinct lead phones, sorted and comma-separated (text, not JSON: a 30-day read
    # concatenates them in SQL and splits them in Python, ~20,000 phones in a few ms): leads
    # over several days or sellers are the size of the union.
    lead_phones = models.TextField(blank=True, default="")
    scored_meetings = models.PositiveIntegerField(default=0)
    score_sum = models.FloatField(default=0)
    # Meetings whose seller never said the call is recorded (``Meeting.recording_disclosed``).
    undisclosed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seller", "day"], name="rollup_seller_day"),
        ]
        indexes = [models.Index(fields=["agency", "day"])]
        verbose_name_plural = "seller daily calls"

    def __str__(self) -> str:
        return f"{self.seller_id} on {self.day}"

    @property
    def calls(self) -> int:
        return (
            self.outgoing_answered
            + self.outgoing_unanswered
            + self.incoming_answered
            + self.incoming_unanswered
        )
