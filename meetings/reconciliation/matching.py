"""Which app call and which Exotel call are the same real call: time windows and buyers."""

import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from calls.exotel_parsing import real_buyer
from calls.models import CallType, ExotelStatus, RecordingStatus
from meetings.reconciliation.rows import AppCallRow, ExotelCallRow

# An Exotel call still in progress or downloading holds back an app-only meeting this long.
PENDING_EXOTEL_WAIT = timedelta(hours=6)


@dataclass(frozen=True)
class CallWindow:
    """The part of a call that matching looks at."""

    pk: uuid.UUID
    start: datetime
    end: datetime | None
    buyer: str


def match_call_windows(
    *, app_calls: list[CallWindow], exotel_calls: list[CallWindow], tolerance: timedelta
) -> list[tuple[CallWindow, CallWindow]]:
    """Pair one seller's app calls with Exotel calls: ``[(app, exotel), ...]``.

    A pair is a candidate when the starts differ by at most ``tolerance``, the ends too (when
    Exotel knows its end), and the buyer numbers agree when both sides know a real number. The
    closest candidates (smallest total difference) are taken first and no call is used twice.
    Sorting plus a bisect per Exotel call keeps it O(n log n) for non-overlapping calls.
    """
    apps = sorted(app_calls, key=lambda w: w.start)
    starts = [w.start for w in apps]
    candidates = []
    for exo in exotel_calls:
        low = bisect_left(starts, exo.start - tolerance)
        high = bisect_right(starts, exo.start + tolerance)
        for app in apps[low:high]:
            end_gap = timedelta(0)
            if exo.end is not None and app.end is not None:
                end_gap = abs(exo.end - app.end)
                if end_gap > tolerance:
                    continue
            if app.buyer.startswith("+") and exo.buyer.startswith("+") and app.buyer != exo.buyer:
                continue
            cost = abs(exo.start - app.start) + end_gap
            candidates.append((cost, exo.start, str(exo.pk), str(app.pk), app, exo))
    candidates.sort(key=lambda c: c[:4])
    used_apps: set[uuid.UUID] = set()
    used_exotel: set[uuid.UUID] = set()
    pairs = []
    for *_, app, exo in candidates:
        if app.pk in used_apps or exo.pk in used_exotel:
            continue
        used_apps.add(app.pk)
        used_exotel.add(exo.pk)
        pairs.append((app, exo))
    return pairs


def app_call_window(call: AppCallRow, agents: set[str] = frozenset()) -> CallWindow:
    # A call the phone logged with an ExoPhone or a seller (Exotel ringing the seller's own leg)
    # says nothing about the buyer: it matches on time alone.
    return CallWindow(
        call.pk, call.start_time, call.end_time, real_buyer(call.buyer_number, agents)
    )


def exotel_end(call: ExotelCallRow) -> datetime | None:
    if call.end_time is not None:
        return call.end_time
    seconds = call.duration if call.duration is not None else call.recording_duration
    return call.start_time + timedelta(seconds=seconds) if seconds is not None else None


def exotel_call_window(call: ExotelCallRow) -> CallWindow:
    return CallWindow(call.pk, call.start_time, exotel_end(call), call.buyer_number)


def exotel_ready(call: ExotelCallRow) -> bool:
    """Exotel has finished with the call and its recording is settled (stored, none or failed)."""
    return (
        call.status in (ExotelStatus.COMPLETED, "")
        and call.recording_status != RecordingStatus.PENDING
    )


APP_DIRECTIONS = {
    CallType.INCOMING: "incoming",
    CallType.OUTGOING: "outgoing",
    CallType.MISSED: "incoming",
    CallType.REJECTED: "incoming",
}


def exotel_direction(direction: str) -> str:
    direction = direction.lower()
    if "inbound" in direction or "incoming" in direction:
        return "incoming"
    if "outbound" in direction or "outgoing" in direction:
        return "outgoing"
    return ""
