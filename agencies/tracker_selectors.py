import uuid

from django.db.models import QuerySet

from agencies.models import Tracker
from chirpworks.exceptions import NotFoundError
from sellers.models import Seller


def tracker_list(*, actor: Seller) -> QuerySet[Tracker]:
    return Tracker.objects.filter(agency_id=actor.agency_id).order_by("name", "id")


def tracker_get(*, actor: Seller, tracker_id: uuid.UUID) -> Tracker:
    tracker = Tracker.objects.filter(pk=tracker_id, agency_id=actor.agency_id).first()
    if tracker is None:
        raise NotFoundError("Tracker not found", code="tracker_not_found")
    return tracker


def agency_keyword_trackers(*, agency_id: uuid.UUID) -> dict[str, list[str]]:
    """The trackers as the analysers read them: ``{name: [phrases]}``."""
    return {
        name: list(phrases)
        for name, phrases in Tracker.objects.filter(agency_id=agency_id).values_list(
            "name", "phrases"
        )
    }
