"""Writes on calls that span both kinds: the cleanup of calls that never became meetings.

The rest lives by concern: ``sync_services`` (the app's call log), ``exotel_services`` (webhooks),
``call_details_services`` (the Call Details fallback), ``recording_services`` (downloads).
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.files.storage import default_storage
from django.db import transaction

from calls.models import AppCallStatus, ExotelCall, MobileAppCall


@dataclass(frozen=True)
class CleanupResult:
    app_calls: int
    exotel_calls: int


def calls_cleanup_unmatched(*, older_than: datetime, dry_run: bool) -> CleanupResult:
    """Delete calls that never became meetings and are older than ``older_than``.

    That is answered app calls that can never be reconciled (no real buyer number; any other
    answered call becomes a meeting once the grace period is over) and Exotel
    calls of any status (with their stored recordings). Missed, rejected and unanswered app
    calls are the call log itself (call history and analytics read them) and are kept.
    """
    apps = MobileAppCall.objects.filter(
        reconciled_at__isnull=True,
        meeting__isnull=True,
        status=AppCallStatus.PROCESSING,
        start_time__lt=older_than,
    ).exclude(buyer_number__startswith="+")
    exotel = ExotelCall.objects.filter(
        reconciled_at__isnull=True, meeting__isnull=True, created_at__lt=older_than
    )
    result = CleanupResult(app_calls=apps.count(), exotel_calls=exotel.count())
    if dry_run:
        return result
    with transaction.atomic():
        names = [n for n in exotel.values_list("recording", flat=True) if n]
        exotel.delete()
        apps.delete()
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
    return result
