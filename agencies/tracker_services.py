"""Writes on an agency's keyword trackers (admins and managers; everyone in the agency reads)."""

import re
from typing import Any

from django.db import IntegrityError, transaction

from agencies.models import Tracker
from chirpworks.exceptions import ApplicationError, ForbiddenError
from chirpworks.signals import entities_changed
from sellers.models import Role, Seller

MAX_PHRASES = 50


def tracker_phrases_normalise(phrases: list[str]) -> list[str]:
    """Single spaces, no blanks, no repeats in any case (the first spelling kept: it is also
    the spelling the speech model is given as a hint), in the order given."""
    seen: dict[str, str] = {}
    for phrase in phrases:
        text = re.sub(r"\s+", " ", str(phrase)).strip()
        if text:
            seen.setdefault(text.casefold(), text)
    if not seen:
        raise ApplicationError("A tracker needs at least one phrase", code="invalid_tracker")
    if len(seen) > MAX_PHRASES:
        raise ApplicationError(f"At most {MAX_PHRASES} phrases", code="invalid_tracker")
    return list(seen.values())


def _check_writer(actor: Seller) -> None:
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise ForbiddenError("Only admins and managers manage trackers", code="not_allowed")


def _changed(tracker: Tracker) -> None:
    # Past calls are scanned again for the new phrases (meetings listens: it owns the hits).
    transaction.on_commit(
        lambda: entities_changed.send(sender=Tracker, kind="tracker", ids=[str(tracker.pk)])
    )


def tracker_create(*, actor: Seller, name: str, phrases: list[str], speaker: str) -> Tracker:
    _check_writer(actor)
    tracker = Tracker(
        agency_id=actor.agency_id,
        name=re.sub(r"\s+", " ", name).strip(),
        phrases=tracker_phrases_normalise(phrases),
        speaker=speaker,
        created_by=actor,
    )
    tracker.full_clean(exclude=["agency", "created_by"], validate_constraints=False)
    with transaction.atomic():
        _save(tracker)
    return tracker


def tracker_update(*, actor: Seller, tracker: Tracker, data: dict[str, Any]) -> Tracker:
    _check_writer(actor)
    if "name" in data:
        tracker.name = re.sub(r"\s+", " ", data["name"]).strip()
    if "phrases" in data:
        tracker.phrases = tracker_phrases_normalise(data["phrases"])
    if "speaker" in data:
        tracker.speaker = data["speaker"]
    with transaction.atomic():
        _save(tracker)
    return tracker


def _save(tracker: Tracker) -> None:
    """Save inside the caller's transaction; a duplicate name is the user's to fix (400)."""
    try:
        with transaction.atomic():
            tracker.save()
    except IntegrityError:
        raise ApplicationError(
            "A tracker with this name already exists", code="tracker_exists"
        ) from None
    _changed(tracker)


def tracker_delete(*, actor: Seller, tracker: Tracker) -> None:
    _check_writer(actor)
    tracker.delete()  # its hits go with it
