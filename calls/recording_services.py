"""Writes of Exotel recordings: queueing their downloads, storing them, giving up on them.

The row is the download queue's source of truth (``recording_status=pending``); the broker only
carries the requests, and ``exotel_recordings_sweep`` re-sends what it lost.
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from calls.models import ExotelCall, RecordingStatus
from calls.recordings import RecordingDownloadError, audio_probe, recording_fetcher
from calls.selectors import exotel_recordings_unsent
from calls.signals import calls_need_reconciling, exotel_recording_stored
from chirpworks.outages import task_send, task_send_on_commit

logger = logging.getLogger(__name__)


def exotel_recording_enqueue(*, exotel_call_id: uuid.UUID | str) -> None:
    """Send the recording's download once this commits, and stamp the row when it was sent.

    The row is the queue's source of truth (``recording_status=pending``): if the broker is down
    the request still succeeds, and ``exotel_recordings_sweep`` sends the download later.
    """
    from calls.tasks import download_exotel_recording  # late: tasks import services

    call_id = str(exotel_call_id)
    task_send_on_commit(
        download_exotel_recording,
        call_id,
        on_sent=lambda: exotel_recordings_mark_queued(exotel_call_ids=[call_id]),
    )


def exotel_recordings_mark_queued(
    *, exotel_call_ids: Iterable[uuid.UUID | str], at: datetime | None = None
) -> None:
    """Record that these downloads were sent to the broker (or, for a retry, when it is due)."""
    ExotelCall.objects.filter(pk__in=list(exotel_call_ids)).update(
        recording_queued_at=at or timezone.now()
    )


def exotel_recordings_sweep(*, now: datetime | None = None, limit: int = 1000) -> list[str]:
    """Beat: send the pending downloads the queue does not hold; returns the ids sent."""
    from calls.tasks import download_exotel_recording  # late: tasks import services

    ids = [str(pk) for pk in exotel_recordings_unsent(now=now).values_list("pk", flat=True)[:limit]]
    sent = [call_id for call_id in ids if task_send(download_exotel_recording, call_id)]
    if sent:
        exotel_recordings_mark_queued(exotel_call_ids=sent)
    if ids:
        logger.warning("Recording sweep: sent %d of %d pending downloads", len(sent), len(ids))
    return sent


def exotel_recording_download(*, exotel_call_id: uuid.UUID | str) -> ExotelCall | None:
    """Fetch, measure and store one Exotel recording; raises ``RecordingDownloadError``.

    Runs in a Celery task (which retries transient failures). The download happens outside any
    transaction; the row is then updated under a lock, and reconciliation is queued.
    """
    call = ExotelCall.objects.select_related("agency").filter(pk=exotel_call_id).first()
    if call is None or not call.recording_url or call.recording_status == RecordingStatus.STORED:
        return call
    from calls.exotel import exotel_credentials_for

    credentials = exotel_credentials_for(call.agency)
    fetcher = recording_fetcher(auth=credentials.auth if credentials else None)
    file, extension = fetcher.fetch(call.recording_url)
    with file:
        probe = audio_probe(file)
        if probe is None:  # the same bytes will never decode: fail once, clearly
            raise RecordingDownloadError(
                "Recording is not decodable audio (corrupt file or unsupported format)",
                transient=False,
            )
        duration, extension = probe.duration, probe.extension
        # Named from our ids only: nothing Exotel (or anyone) sends reaches a storage path.
        name = default_storage.save(
            f"recordings/exotel/{call.agency_id}/{call.pk}.{extension}", File(file)
        )

    with transaction.atomic():
        call = ExotelCall.objects.select_for_update().filter(pk=exotel_call_id).first()
        if call is None or call.recording_status == RecordingStatus.STORED:
            transaction.on_commit(lambda: default_storage.delete(name))
            return call
        call.recording.name = name
        call.recording_status = RecordingStatus.STORED
        call.recording_duration = duration
        if call.duration is None:
            call.duration = int(duration)
        if call.end_time is None and call.start_time is not None:
            call.end_time = call.start_time + timedelta(seconds=duration)
        call.save(
            update_fields=[
                "recording",
                "recording_status",
                "recording_duration",
                "duration",
                "end_time",
                "updated_at",
            ]
        )
        # Its meeting gets it, or reconciliation may now make one.
        exotel_recording_stored.send(sender=ExotelCall, call=call)
    return call


def exotel_recording_mark_failed(*, exotel_call_id: uuid.UUID | str, reason: str) -> None:
    """Give up on a recording: the call can still become a meeting (its job fails clearly)."""
    with transaction.atomic():
        call = ExotelCall.objects.select_for_update().filter(pk=exotel_call_id).first()
        if call is None or call.recording_status == RecordingStatus.STORED:
            return
        call.recording_status = RecordingStatus.FAILED
        call.recording_error = reason[:255]
        call.save(update_fields=["recording_status", "recording_error", "updated_at"])
        logger.warning("Exotel recording for %s failed for good: %s", call.call_sid, reason)
        if call.seller_id is not None:
            calls_need_reconciling.send(sender=ExotelCall, seller_id=call.seller_id)
