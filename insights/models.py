"""What the insights service derives from calls, actions and buyers, stored so reads stay cheap.

Both tables are rewritten per buyer by ``insights.services.buyer_insights_refresh``: after a
meeting, action, app call or buyer changes (on commit) and nightly for the whole agency.
"""

from django.db import models

from chirpworks.models import BaseModel


class WarningKind(models.TextChoices):
    NO_ACTIVITY = "no_activity"
    GHOSTED = "ghosted"
    OVERDUE_ACTION = "overdue_action"
    STALLED = "stalled"
    COMPETITOR_MENTIONED = "competitor_mentioned"
    PRICING_NOT_DISCUSSED = "pricing_not_discussed"
    NEGATIVE_TREND = "negative_trend"


class BuyerInsight(BaseModel):
    """A buyer's call-next score for the seller who owns the relationship, with its reasons."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    buyer = models.OneToOneField("agencies.Buyer", on_delete=models.CASCADE, related_name="insight")
    seller = models.ForeignKey("sellers.Seller", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(default=0)
    # [{"code", "text", "points", "evidence": {"meeting_id"?, "action_id"?, "quote"?, "date"?}}]
    reasons = models.JSONField(default=list, blank=True)
    next_action = models.ForeignKey(
        "actions.Action", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deal_stage = models.CharField(max_length=64, blank=True, default="")
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["seller", "-score"], name="insight_seller_score")]

    def __str__(self) -> str:
        return f"{self.buyer_id}: {self.score}"


class DealWarning(BaseModel):
    """One active warning on a buyer; the row is deleted when its cause goes away."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(
        "agencies.Buyer", on_delete=models.CASCADE, related_name="deal_warnings"
    )
    seller = models.ForeignKey("sellers.Seller", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=WarningKind.choices)
    since = models.DateTimeField()
    detail = models.CharField(max_length=500)
    # {"meeting_id"?, "action_id"?, "app_call_ids"?, "quote"?, "date"?, ...}
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-since"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "kind"], name="dealwarning_buyer_kind")
        ]
        indexes = [models.Index(fields=["seller", "kind"], name="dealwarning_seller_kind")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.buyer_id}"
