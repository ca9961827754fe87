"""Recording retention: the audio of meetings past their agency's retention is deleted."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from calls.models import ExotelCall
from meetings.models import Job, Meeting
from meetings.selectors import meetings_with_expired_recordings


@dataclass(frozen=True)
class RecordingPurgeResult:
    meetings: int
    files: int
    bytes: int


def meetings_purge_recordings(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> RecordingPurgeResult:
    """Delete the audio of meetings past retention and forget it on the meeting, its job and its
    Exotel call; the transcript and the analysis are kept."""
    meetings = meetings_with_expired_recordings(now=now)
    rows = list(meetings.values_list("pk", "recording"))
    total = len(rows)
    files = size = done = 0
    for start in range(0, total, batch_size):
        batch = rows[start : start + batch_size]
        names = sorted({name for _, name in batch if name})
        for name in names:
            if default_storage.exists(name):
                files += 1
                size += default_storage.size(name)
                if not dry_run:
                    default_storage.delete(name)
        if not dry_run:
            ids = [pk for pk, _ in batch]
            with transaction.atomic():
                Meeting.objects.filter(pk__in=ids).update(recording="", updated_at=timezone.now())
                Job.objects.filter(meeting_id__in=ids).update(audio_location="")
                ExotelCall.objects.filter(recording__in=names).update(recording="")
        done += len(batch)
        if progress:
            progress(done, total)
    return RecordingPurgeResult(meetings=total, files=files, bytes=size)
