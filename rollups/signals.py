"""Single-row writes of the rollups' sources mark their days (bulk writers call
``rollups_mark_dirty`` themselves, or announce their rows: bulk_create and update() send no
signals)."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from agencies.models import Buyer, BuyerPhone
from calls.models import MobileAppCall
from calls.signals import app_calls_stored
from meetings.models import CallPerformance, Meeting
from rollups.services import rollups_mark_dirty

# The fields a save can change a count with; a save naming only others (analysis, recording)
# costs nothing here.
_COUNTED_FIELDS = {
    Meeting: {
        "seller",
        "seller_id",
        "start_time",
        "end_time",
        "direction",
        "buyer",
        "buyer_id",
        "recording_disclosed",
    },
    MobileAppCall: {
        "seller",
        "seller_id",
        "start_time",
        "status",
        "call_type",
        "buyer_number",
        "duration",
        "meeting",
        "meeting_id",
    },
}


def _counted_change(sender, update_fields) -> bool:
    return update_fields is None or bool(_COUNTED_FIELDS[sender] & set(update_fields))


@receiver(pre_save, sender=Meeting)
@receiver(pre_save, sender=MobileAppCall)
def _remember_previous_day(sender, instance, update_fields=None, **kwargs) -> None:
    # A call moved to another seller or day also changes the day it left.
    if instance._state.adding or not _counted_change(sender, update_fields):
        return
    instance._rollup_previous = (
        sender.objects.filter(pk=instance.pk).values_list("seller_id", "start_time").first()
    )


@receiver(post_save, sender=Meeting)
@receiver(post_save, sender=MobileAppCall)
def _mark_saved_call(sender, instance, update_fields=None, **kwargs) -> None:
    if not _counted_change(sender, update_fields):
        return
    marks = [(instance.seller_id, instance.start_time)]
    previous = getattr(instance, "_rollup_previous", None)
    if previous is not None:
        marks.append(previous)
    rollups_mark_dirty(seller_times=marks)


@receiver(post_delete, sender=Meeting)
@receiver(post_delete, sender=MobileAppCall)
def _mark_deleted_call(sender, instance, **kwargs) -> None:
    rollups_mark_dirty(seller_times=[(instance.seller_id, instance.start_time)])


@receiver(app_calls_stored)
def _mark_synced_app_calls(sender, *, calls, **kwargs) -> None:
    rollups_mark_dirty(seller_times=[(c.seller_id, c.start_time) for c in calls])


@receiver(post_save, sender=CallPerformance)
@receiver(post_delete, sender=CallPerformance)
def _mark_scored_meeting(sender, instance, **kwargs) -> None:
    meeting = instance._state.fields_cache.get("meeting")
    if meeting is not None:
        rollups_mark_dirty(seller_times=[(meeting.seller_id, meeting.start_time)])
        return
    rollups_mark_dirty(
        seller_times=Meeting.objects.filter(pk=instance.meeting_id).values_list(
            "seller_id", "start_time"
        )
    )


@receiver(pre_save, sender=Buyer)
def _remember_buyer_state(sender, instance, **kwargs) -> None:
    if instance._state.adding:
        return
    instance._rollup_previous_state = (
        Buyer.objects.filter(pk=instance.pk).values_list("deleted_at", "merged_into_id").first()
    )


@receiver(post_save, sender=Buyer)
def _mark_hidden_or_shown_buyer(sender, instance, created=False, **kwargs) -> None:
    """A buyer deleted, restored or merged away hides or shows its calls: their days change."""
    if created:
        return
    previous = getattr(instance, "_rollup_previous_state", None)
    if previous is None or previous == (instance.deleted_at, instance.merged_into_id):
        return
    buyer_ids = [instance.pk, *([instance.merged_into_id] if instance.merged_into_id else [])]
    phones = {
        instance.phone,
        *BuyerPhone.objects.filter(buyer_id__in=buyer_ids).values_list("phone", flat=True),
    }
    marks = list(
        Meeting.objects.filter(buyer_id__in=buyer_ids).values_list("seller_id", "start_time")
    )
    marks += MobileAppCall.objects.filter(
        seller__agency_id=instance.agency_id, buyer_number__in=phones
    ).values_list("seller_id", "start_time")
    rollups_mark_dirty(seller_times=marks)
