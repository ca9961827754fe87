from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from calls.models import ExotelCall, MobileAppCall, RecordingStatus
from chirpworks.exceptions import ForbiddenError
from chirpworks.phones import InvalidPhoneNumber, phone_parse
from sellers.models import Seller


def call_last_synced(
    *, seller: Seller, seller_number: str | None = None
) -> tuple[str, datetime] | None:
    """``(source, time)`` of the seller's newest synced call (app call or meeting), or None.

    ``seller_number``, when the app sends it, must be the caller's own phone.
    """
    if seller_number:
        try:
            number = phone_parse(seller_number, region=seller.agency.default_phone_region)
        except InvalidPhoneNumber:
            number = None
        if number != seller.phone:
            raise ForbiddenError(
                "sellerNumber must be your own phone number", code="not_your_number"
            )
    app_latest = MobileAppCall.objects.filter(seller=seller).aggregate(t=Max("start_time"))["t"]
    # Through the seller's reverse relation: ``calls`` sits below ``meetings`` and imports none
    # of it.
    mine = Seller.objects.filter(pk=seller.pk)
    meeting_latest = mine.aggregate(t=Max("meetings__start_time"))["t"]
    if app_latest is None and meeting_latest is None:
        return None
    if meeting_latest is None or (app_latest is not None and app_latest >= meeting_latest):
        return "mobile_app_call", app_latest
    return "meeting", meeting_latest


def exotel_recordings_unsent(*, now: datetime | None = None) -> QuerySet[ExotelCall]:
    """Pending downloads the queue does not hold: never sent (broker down) past a short grace,
    or sent more than OUTBOX_RESEND_AFTER ago and still pending (the message was lost)."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.OUTBOX_UNSENT_GRACE)
    stale = now - timedelta(seconds=settings.OUTBOX_RESEND_AFTER)
    return ExotelCall.objects.filter(
        Q(recording_queued_at__isnull=True, updated_at__lt=grace)
        | Q(recording_queued_at__lt=stale),
        recording_status=RecordingStatus.PENDING,
    ).exclude(recording_url="")


def exotel_recordings_overdue(*, now: datetime | None = None) -> QuerySet[ExotelCall]:
    """Pending downloads older than HEALTH_OVERDUE_AFTER (counted from when the last was due)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.HEALTH_OVERDUE_AFTER)
    return ExotelCall.objects.filter(
        Q(recording_queued_at__lt=cutoff)
        | Q(recording_queued_at__isnull=True, updated_at__lt=cutoff),
        recording_status=RecordingStatus.PENDING,
    )
