"""Keyword tracker hits: which of an agency's tracked phrases were said in a call, by whom, when.

Phrases match whole words, case- and spacing-insensitively ("EMI" matches "emi", not "premium").
A tracker limited to one speaker counts only that speaker's segments; a mono call whose
speakers are unknown counts for ``any`` trackers only.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from agencies.models import Tracker, TrackerSpeaker
from meetings.models import Meeting, TrackerHit


def _pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    words = [r"\s+".join(map(re.escape, p.split())) for p in phrases if p.strip()]
    if not words:
        return None
    return re.compile(
        r"(?<!\w)(" + "|".join(sorted(words, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE
    )


def tracker_hits_find(
    *, transcription: list[dict[str, Any]], trackers: Iterable[Tracker]
) -> list[dict[str, Any]]:
    """Every hit of every tracker in the transcript, in order of the segments."""
    compiled = [(t, p) for t in trackers if (p := _pattern(t.phrases or []))]
    hits = []
    for segment in transcription or []:
        if not isinstance(segment, dict):
            continue
        text = str(segment.get("text") or "")
        role = str(segment.get("role") or "unknown")
        for tracker, pattern in compiled:
            if tracker.speaker != TrackerSpeaker.ANY and tracker.speaker != role:
                continue
            for match in pattern.finditer(text):
                hits.append(
                    {
                        "tracker": tracker,
                        "phrase": match.group(1).casefold(),
                        "speaker": role,
                        "start": segment.get("start"),
                        "text": text[:300],
                    }
                )
    return hits


def meeting_tracker_hits_store(*, meeting: Meeting, trackers: list[Tracker] | None = None) -> int:
    """Replace the meeting's stored hits with those in its transcript now."""
    if trackers is None:
        trackers = list(Tracker.objects.filter(agency_id=meeting.agency_id))
    found = tracker_hits_find(transcription=meeting.transcription, trackers=trackers)
    with transaction.atomic():
        TrackerHit.objects.filter(meeting=meeting).delete()
        TrackerHit.objects.bulk_create(
            TrackerHit(
                meeting=meeting,
                tracker=hit["tracker"],
                seller_id=meeting.seller_id,
                occurred_at=meeting.start_time,
                speaker=hit["speaker"],
                phrase=hit["phrase"][:200],
                start=hit["start"] if isinstance(hit["start"], int | float) else None,
                text=hit["text"],
            )
            for hit in found
        )
    return len(found)


def tracker_hits_summary(
    *, scope, date_range, speaker: str | None = None, tracker_id=None
) -> list[dict[str, Any]]:
    """Per tracker: hits and calls in the period for the scope's sellers, split by speaker."""
    from django.db.models import Count

    hits = TrackerHit.objects.filter(
        scope.q("seller"),
        tracker__agency_id=scope.agency_id,
        occurred_at__gte=date_range.start,
        occurred_at__lt=date_range.end,
    )
    if speaker and speaker != TrackerSpeaker.ANY:
        hits = hits.filter(speaker=speaker)
    if tracker_id:
        hits = hits.filter(tracker_id=tracker_id)
    counts: dict[Any, dict[str, Any]] = {}
    for row in hits.values("tracker_id", "speaker").annotate(
        hits=Count("id"), calls=Count("meeting_id", distinct=True)
    ):
        entry = counts.setdefault(row["tracker_id"], {"hits": 0, "by_speaker": {}})
        entry["hits"] += row["hits"]
        entry["by_speaker"][row["speaker"]] = row["hits"]
    calls = dict(
        hits.values("tracker_id")
        .annotate(calls=Count("meeting_id", distinct=True))
        .values_list("tracker_id", "calls")
    )
    trackers = Tracker.objects.filter(agency_id=scope.agency_id).order_by("name", "id")
    if tracker_id:
        trackers = trackers.filter(pk=tracker_id)
    return [
        {
            "tracker_id": tracker.pk,
            "name": tracker.name,
            "speaker": tracker.speaker,
            "hits": counts.get(tracker.pk, {}).get("hits", 0),
            "calls": calls.get(tracker.pk, 0),
            "by_speaker": counts.get(tracker.pk, {}).get("by_speaker", {}),
        }
        for tracker in trackers
    ]


def meeting_tracker_hits(*, meeting: Meeting) -> list[dict[str, Any]]:
    return [
        {
            "tracker_id": hit.tracker_id,
            "tracker": hit.tracker.name,
            "phrase": hit.phrase,
            "speaker": hit.speaker,
            "start": hit.start,
            "text": hit.text,
        }
        for hit in meeting.tracker_hits.select_related("tracker").order_by("start", "id")
    ]
