import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import KombuError

from agencies.models import Tracker
from meetings.models import Meeting
from meetings.trackers import meeting_tracker_hits_store

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def rescan_tracker_hits(tracker_id: str) -> int:
    """A tracker was added or changed: count its phrases in the agency's recent calls again."""
    tracker = Tracker.objects.filter(pk=tracker_id).first()
    if tracker is None:
        return 0
    since = timezone.now() - timedelta(days=settings.TRACKER_RESCAN_DAYS)
    trackers = list(Tracker.objects.filter(agency_id=tracker.agency_id))
    meetings = Meeting.objects.filter(agency_id=tracker.agency_id, start_time__gte=since).only(
        "id", "agency_id", "seller_id", "start_time", "transcription"
    )
    done = 0
    for meeting in meetings.iterator(chunk_size=200):
        meeting_tracker_hits_store(meeting=meeting, trackers=trackers)
        done += 1
    return done


def _on_entities_changed(sender, *, kind: str, ids: list[str], **kwargs) -> None:
    if kind != "tracker":
        return
    for tracker_id in ids:
        try:
            rescan_tracker_hits.delay(str(tracker_id))
        except (KombuError, OSError):  # the broker is down: new calls still count the phrases
            logger.warning("tracker rescan not queued for %s", tracker_id)


def connect() -> None:
    from chirpworks.signals import entities_changed

    entities_changed.connect(_on_entities_changed, dispatch_uid="meetings-tracker-rescan")
