from django.db import models

from chirpworks.models import BaseModel


class ActionStatus(models.TextChoices):
    PENDING = "pending"
    COMPLETED = "completed"


class ActionType(models.TextChoices):
    ACTION = "action", "Action item"
    SUGGESTED_ACTION = "suggested_action", "Suggested action"


class Action(BaseModel):
    """A follow-up from a meeting: agreed in the call (action) or proposed by analysis."""

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="actions"
    )
    seller = models.ForeignKey("sellers.Seller", on_delete=models.CASCADE, related_name="actions")
    buyer = models.ForeignKey("agencies.Buyer", on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=300)
    description = models.JSONField(default=dict, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ActionStatus.choices, default=ActionStatus.PENDING
    )
    type = models.CharField(max_length=24, choices=ActionType.choices, default=ActionType.ACTION)
    completed_at = models.DateTimeField(null=True, blank=True)
    reasoning = models.TextField(blank=True, default="")
    signals = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = [models.F("due_date").asc(nulls_last=True), "-created_at"]
        indexes = [
            models.Index(fields=["seller", "due_date"]),
            models.Index(fields=["meeting", "title"]),
            models.Index(fields=["buyer", "status"]),
        ]

    def __str__(self) -> str:
        return self.title
