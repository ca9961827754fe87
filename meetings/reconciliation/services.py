"""Reconciliation: turning a seller's app calls and Exotel calls into meetings.

One real call can reach ChirpWorks as an app call-log item, an Exotel webhook, or both, in either
order, minutes apart, retried and sometimes concurrently (``calls`` stores them). Every run holds
the lock on its sellers' rows (as the call-log sync does), so two workers never turn one call
into two meetings.
"""

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from agencies.services import buyers_find_or_create_bulk
from calls.exotel_parsing import TERMINAL_STATUSES, agency_agent_numbers, real_buyer
from calls.exotel_services import exotel_calls_resolve_sellers
from calls.models import AppCallStatus, ExotelCall, ExotelStatus, MobileAppCall, RecordingStatus
from chirpworks.bulk import bulk_update_rows
from chirpworks.fastrows import collector_paused
from chirpworks.signals import KIND_MOBILE_CALL, calls_written, entities_changed_send
from meetings.reconciliation.matching import (
    APP_DIRECTIONS,
    PENDING_EXOTEL_WAIT,
    app_call_window,
    exotel_call_window,
    exotel_direction,
    exotel_end,
    exotel_ready,
    match_call_windows,
)
from meetings.reconciliation.rows import AppCallRow, ExotelCallRow, app_call_rows, exotel_call_rows
from meetings.services import (
    CallMeetingSpec,
    meetings_attach_recordings,
    meetings_fill_from_app_calls,
    meetings_insert_for_calls,
)
from sellers.models import Seller

logger = logging.getLogger(__name__)

SELLERS_PER_TRANSACTION = 500
# Calls (both sides) read and decided in one transaction at most, but never less than a seller's:
# memory stays bounded whatever the backlog.
CALLS_PER_TRANSACTION = 25_000


@dataclass
class ReconcileResult:
    sellers: int = 0
    matched: int = 0
    app_only: int = 0
    exotel_only: int = 0
    late_recordings: int = 0
    late_app_calls: int = 0
    skipped: int = 0
    sellers_resolved: int = 0

    @property
    def meetings(self) -> int:
        return self.matched + self.app_only + self.exotel_only

    def add(self, other: "ReconcileResult") -> None:
        """Count in a chunk's outcomes (its own sellers and resolutions are not counted)."""
        for name in (
            "matched",
            "app_only",
            "exotel_only",
            "late_recordings",
            "late_app_calls",
            "skipped",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _pending_seller_ids(
    *, seller_ids: Iterable | None, since: datetime | None
) -> list[list[uuid.UUID]]:
    """The sellers with calls to reconcile (in id order), in chunks of one transaction each."""
    apps = MobileAppCall.objects.filter(reconciled_at__isnull=True, status=AppCallStatus.PROCESSING)
    exotel = ExotelCall.objects.filter(
        reconciled_at__isnull=True, seller__isnull=False, start_time__isnull=False, agent_leg=False
    ).exclude(status__in=TERMINAL_STATUSES - {ExotelStatus.COMPLETED})
    if seller_ids is not None:
        apps = apps.filter(seller_id__in=seller_ids)
        exotel = exotel.filter(seller_id__in=seller_ids)
    if since is not None:
        apps = apps.filter(start_time__gte=since)
        exotel = exotel.filter(start_time__gte=since)
    counts: Counter[uuid.UUID] = Counter()
    for query in (apps, exotel):
        for seller_id, calls in query.values_list("seller_id").annotate(n=Count("pk")).order_by():
            counts[seller_id] += calls
    chunks: list[list[uuid.UUID]] = []
    size = 0
    for seller_id in sorted(counts, key=str):
        if (
            not chunks
            or len(chunks[-1]) >= SELLERS_PER_TRANSACTION
            or size >= CALLS_PER_TRANSACTION
        ):
            chunks.append([])
            size = 0
        chunks[-1].append(seller_id)
        size += counts[seller_id]
    return chunks


@dataclass(slots=True)
class _PlannedMeeting:
    """A meeting reconciliation decided to make: a ``CallMeetingSpec`` once its buyer is known."""

    seller: Seller
    buyer_phone: str
    direction: str
    start_time: datetime
    end_time: datetime | None
    recording_name: str


@dataclass
class _Outcome:
    """What one transaction of reconciliation decided, before it is written."""

    specs: list[_PlannedMeeting] = field(default_factory=list)
    # For each spec, the app call and/or Exotel call it came from.
    sources: list[tuple[AppCallRow | None, ExotelCallRow | None]] = field(default_factory=list)
    # An Exotel call joining the app-only meeting its app call already made (late Exotel).
    attach: list[tuple[AppCallRow, ExotelCallRow]] = field(default_factory=list)
    # An app call joining the Exotel-only meeting its Exotel call already made (late app call).
    join: list[tuple[AppCallRow, ExotelCallRow]] = field(default_factory=list)
    # Exotel rows found to be a seller's own leg (their buyer is a seller or an ExoPhone).
    agent_legs: list[ExotelCallRow] = field(default_factory=list)


def calls_reconcile(
    *,
    seller_ids: Iterable | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    force_ids: Iterable = (),
    progress: Callable[[int, int], None] | None = None,
) -> ReconcileResult:
    """Match Exotel calls to the same seller's app calls and turn calls into meetings.

    - A match (see ``match_call_windows``) becomes one meeting and one job, with the Exotel
      recording; both rows are kept and linked (``meeting``, ``reconciled_at``).
    - An answered app call still unmatched ``CALL_RECONCILE_GRACE_MINUTES`` after it ended
      becomes a meeting without a recording (its job fails with "No recording").
    - A recorded Exotel call still unmatched after the grace period becomes a meeting too, or,
      when the app call already became a recording-less meeting, gives that meeting its recording.
    - ``force_ids``: app or Exotel call ids that skip the grace period (the admin action).

    Sellers are processed in chunks, each in one transaction holding their rows' locks; all
    reads and writes are bulk queries, so the query count grows with chunks, not with calls.
    On PostgreSQL, ``RECONCILE_THREADS`` chunks run at once, each in its own connection.
    """
    now = now or timezone.now()
    force = {uuid.UUID(str(pk)) for pk in force_ids}
    result = ReconcileResult()
    if not dry_run:
        result.sellers_resolved = exotel_calls_resolve_sellers(since=since)
    chunks = _pending_seller_ids(seller_ids=seller_ids, since=since)
    result.sellers = total = sum(len(chunk) for chunk in chunks)

    def run(chunk: list[uuid.UUID]) -> ReconcileResult:
        counts = ReconcileResult()
        with transaction.atomic():
            _reconcile_chunk(
                seller_ids=chunk, since=since, now=now, dry_run=dry_run, force=force, result=counts
            )
        return counts

    threads = settings.RECONCILE_THREADS
    if (
        threads < 2
        or len(chunks) < 2
        or dry_run
        or connection.vendor != "postgresql"
        or connection.in_atomic_block  # other connections would not see the caller's writes
    ):
        threads = 1
    done = 0
    # A chunk's rows all stay alive until it is written: the cyclic collector's passes over
    # them would free nothing and cost as much as the work (half of it at 50,000 calls).
    with collector_paused():
        for chunk, counts in _chunks_run(run, chunks, threads):
            result.add(counts)
            done += len(chunk)
            if progress:
                progress(done, total)
    return result


def _chunks_run(
    run: Callable[[list[uuid.UUID]], ReconcileResult], chunks: list[list], threads: int
) -> Iterator[tuple[list, ReconcileResult]]:
    """Each chunk and what ``run`` made of it, in the order they finish.

    With threads, each chunk runs in a thread's own connection and transaction. The chunks'
    sellers are disjoint; two chunks meet only on a buyer both call, whose row one waits for
    the other to commit. A chunk that ends in a deadlock (rolled back whole) runs again after
    the others, alone.
    """
    if threads == 1:
        for chunk in chunks:
            yield chunk, run(chunk)
        return

    def in_thread(chunk: list) -> ReconcileResult:
        try:
            return run(chunk)
        finally:
            connection.close()  # this thread's own connection

    again = []
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="reconcile") as pool:
        futures = {pool.submit(in_thread, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                yield chunk, future.result()
            except OperationalError:
                logger.warning("Reconciliation chunk of %d sellers rolled back; again", len(chunk))
                again.append(chunk)
    for chunk in again:
        yield chunk, run(chunk)


def _reconcile_chunk(
    *,
    seller_ids: list[uuid.UUID],
    since: datetime | None,
    now: datetime,
    dry_run: bool,
    force: set[uuid.UUID],
    result: ReconcileResult,
) -> None:
    tolerance = timedelta(seconds=settings.CALL_MATCH_TOLERANCE_SECONDS)
    cutoff = now - timedelta(minutes=settings.CALL_RECONCILE_GRACE_MINUTES)
    sellers_qs = Seller.objects.select_related("agency").filter(pk__in=seller_ids).order_by("pk")
    if not dry_run:
        sellers_qs = sellers_qs.select_for_update(of=("self",))
    sellers = {s.pk: s for s in sellers_qs}
    agent_numbers = agency_agent_numbers(agency_ids={s.agency_id for s in sellers.values()})

    apps_qs = MobileAppCall.objects.filter(
        seller_id__in=seller_ids, reconciled_at__isnull=True, status=AppCallStatus.PROCESSING
    )
    exotel_qs = ExotelCall.objects.filter(
        seller_id__in=seller_ids,
        reconciled_at__isnull=True,
        start_time__isnull=False,
        agent_leg=False,
    ).exclude(status__in=TERMINAL_STATUSES - {ExotelStatus.COMPLETED})
    if since is not None:
        apps_qs = apps_qs.filter(start_time__gte=since)
        exotel_qs = exotel_qs.filter(start_time__gte=since)
    apps_by_seller: dict[uuid.UUID, dict[uuid.UUID, AppCallRow]] = defaultdict(dict)
    for call in app_call_rows(apps_qs):
        apps_by_seller[call.seller_id][call.pk] = call
    exotel_by_seller: dict[uuid.UUID, dict[uuid.UUID, ExotelCallRow]] = defaultdict(dict)
    outcome = _Outcome()
    for call in exotel_call_rows(exotel_qs):
        if call.buyer_number in agent_numbers[sellers[call.seller_id].agency_id]:
            outcome.agent_legs.append(call)  # e.g. the seller's phone was registered later
            continue
        exotel_by_seller[call.seller_id][call.pk] = call

    leftover_apps: dict[uuid.UUID, dict[uuid.UUID, AppCallRow]] = {}
    leftover_exotel: dict[uuid.UUID, dict[uuid.UUID, ExotelCallRow]] = {}
    held: set[uuid.UUID] = set()
    for seller_id, seller in sellers.items():
        agents = agent_numbers[seller.agency_id]
        apps = apps_by_seller.get(seller_id, {})
        exotel = exotel_by_seller.get(seller_id, {})
        ready = {pk: c for pk, c in exotel.items() if exotel_ready(c)}
        waiting = [
            c
            for c in exotel.values()
            if not exotel_ready(c) and c.start_time > now - PENDING_EXOTEL_WAIT
        ]
        pairs = match_call_windows(
            app_calls=[app_call_window(c, agents) for c in apps.values()],
            exotel_calls=[exotel_call_window(c) for c in ready.values()],
            tolerance=tolerance,
        )
        for app_window, exo_window in pairs:
            app, exo = apps.pop(app_window.pk), ready.pop(exo_window.pk)
            recording = exo.recording_name if exo.recording_status == RecordingStatus.STORED else ""
            _plan_meeting(outcome, result, seller, app, exo, recording, "matched", agents)

        # An app call that may still match a call Exotel has not finished with waits for it.
        held |= {
            app.pk
            for app, _ in match_call_windows(
                app_calls=[app_call_window(c, agents) for c in apps.values()],
                exotel_calls=[exotel_call_window(c) for c in waiting],
                tolerance=tolerance,
            )
        }
        leftover_apps[seller_id] = apps
        leftover_exotel[seller_id] = ready

    # Late arrivals first join the meeting the other side already made, whatever the grace.
    _plan_late_app_calls(outcome, result, sellers, leftover_apps, tolerance, agent_numbers)
    _plan_late_exotel_calls(outcome, result, sellers, leftover_exotel, tolerance, agent_numbers)

    for seller_id, seller in sellers.items():
        agents = agent_numbers[seller.agency_id]
        for app in leftover_apps[seller_id].values():
            if app.pk not in held and (app.end_time < cutoff or app.pk in force):
                _plan_meeting(outcome, result, seller, app, None, "", "app_only", agents)
        for exo in leftover_exotel[seller_id].values():
            if exo.recording_status == RecordingStatus.STORED and (
                (exotel_end(exo) or exo.start_time) < cutoff or exo.pk in force
            ):
                _plan_meeting(
                    outcome, result, seller, None, exo, exo.recording_name, "exotel_only", agents
                )

    if dry_run:
        return
    _write_outcome(outcome, now)


def _plan_meeting(
    outcome: _Outcome,
    result: ReconcileResult,
    seller: Seller,
    app: AppCallRow | None,
    exo: ExotelCallRow | None,
    recording: str,
    kind: str,
    agents: set[str],
) -> None:
    buyer = ""
    if app is not None:
        buyer = real_buyer(app.buyer_number, agents)
    if not buyer and exo is not None:
        buyer = real_buyer(exo.buyer_number, agents)
    if not buyer:
        # No real buyer on either side (unknown, or a seller's / ExoPhone's number: an agent
        # leg): never a buyer or a meeting; left for ops to look at.
        result.skipped += 1
        return
    if app is not None:
        direction = APP_DIRECTIONS.get(app.call_type, "")
        start, end = app.start_time, app.end_time
    else:
        direction = exotel_direction(exo.direction)
        start, end = exo.start_time, exotel_end(exo)
    outcome.specs.append(_PlannedMeeting(seller, buyer, direction, start, end, recording))
    outcome.sources.append((app, exo))
    setattr(result, kind, getattr(result, kind) + 1)


def _window_bounds(calls, tolerance: timedelta) -> tuple[datetime, datetime]:
    starts = [c.start_time for c in calls]
    return min(starts) - tolerance, max(starts) + tolerance


def _plan_late_app_calls(
    outcome: _Outcome,
    result: ReconcileResult,
    sellers: dict[uuid.UUID, Seller],
    leftover: dict[uuid.UUID, dict[uuid.UUID, AppCallRow]],
    tolerance: timedelta,
    agent_numbers: dict[uuid.UUID, set[str]],
) -> None:
    """An app call synced after its Exotel call became an Exotel-only meeting joins it."""
    calls = [c for apps in leftover.values() for c in apps.values()]
    if not calls:
        return
    low, high = _window_bounds(calls, tolerance)
    alone = ExotelCall.objects.filter(
        seller_id__in=[pk for pk, apps in leftover.items() if apps],
        meeting__isnull=False,
        mobile_call__isnull=True,
        agent_leg=False,
        start_time__gte=low,
        start_time__lte=high,
    )
    alone_by_seller: dict[uuid.UUID, dict[uuid.UUID, ExotelCallRow]] = defaultdict(dict)
    for call in exotel_call_rows(alone):
        alone_by_seller[call.seller_id][call.pk] = call
    apps_by_seller = {seller_id: leftover[seller_id] for seller_id in alone_by_seller}
    for app, exo in _pairs_by_seller(
        apps_by_seller, alone_by_seller, sellers, agent_numbers, tolerance
    ):
        outcome.join.append((leftover[app.seller_id].pop(app.pk), exo))
        result.late_app_calls += 1


def _pairs_by_seller(
    apps_by_seller: dict[uuid.UUID, dict[uuid.UUID, AppCallRow]],
    exotel_by_seller: dict[uuid.UUID, dict[uuid.UUID, ExotelCallRow]],
    sellers: dict[uuid.UUID, Seller],
    agent_numbers: dict[uuid.UUID, set[str]],
    tolerance: timedelta,
) -> Iterator[tuple[AppCallRow, ExotelCallRow]]:
    """Each seller's app and Exotel calls, paired as reconciliation pairs them."""
    for seller_id, apps in apps_by_seller.items():
        exotel = exotel_by_seller[seller_id]
        agents = agent_numbers[sellers[seller_id].agency_id]
        pairs = match_call_windows(
            app_calls=[app_call_window(c, agents) for c in apps.values()],
            exotel_calls=[exotel_call_window(c) for c in exotel.values()],
            tolerance=tolerance,
        )
        for app_window, exo_window in pairs:
            yield apps[app_window.pk], exotel[exo_window.pk]


def _plan_late_exotel_calls(
    outcome: _Outcome,
    result: ReconcileResult,
    sellers: dict[uuid.UUID, Seller],
    leftover: dict[uuid.UUID, dict[uuid.UUID, ExotelCallRow]],
    tolerance: timedelta,
    agent_numbers: dict[uuid.UUID, set[str]],
) -> None:
    """An Exotel call that came after its app call became an app-only meeting joins it.

    Its recording, when stored, goes to that meeting and reruns the meeting's job.
    """
    calls = [c for exotel in leftover.values() for c in exotel.values()]
    if not calls:
        return
    low, high = _window_bounds(calls, tolerance)
    earlier = MobileAppCall.objects.filter(
        seller_id__in=[pk for pk, exotel in leftover.items() if exotel],
        status=AppCallStatus.PROCESSING,
        meeting__isnull=False,
        exotel_call__isnull=True,
        start_time__gte=low,
        start_time__lte=high,
    )
    earlier_by_seller: dict[uuid.UUID, dict[uuid.UUID, AppCallRow]] = defaultdict(dict)
    for call in app_call_rows(earlier):
        earlier_by_seller[call.seller_id][call.pk] = call
    pairs = _pairs_by_seller(earlier_by_seller, leftover, sellers, agent_numbers, tolerance)
    for app, exo in pairs:
        outcome.attach.append((app, leftover[exo.seller_id].pop(exo.pk)))
        result.late_recordings += 1


def _write_outcome(outcome: _Outcome, now: datetime) -> None:
    # A new buyer is born with its latest call here as its last contact.
    first_contacts: dict[tuple[uuid.UUID, str], tuple[datetime, uuid.UUID]] = {}
    for spec in outcome.specs:
        key = (spec.seller.agency_id, spec.buyer_phone)
        if key not in first_contacts or first_contacts[key][0] < spec.start_time:
            first_contacts[key] = (spec.start_time, spec.seller.pk)
    buyers = buyers_find_or_create_bulk(
        agency_phones=set(first_contacts), first_contacts=first_contacts
    )
    specs = [
        CallMeetingSpec(
            seller=spec.seller,
            buyer=buyers[(spec.seller.agency_id, spec.buyer_phone)],
            direction=spec.direction,
            start_time=spec.start_time,
            end_time=spec.end_time,
            recording_name=spec.recording_name,
        )
        for spec in outcome.specs
    ]
    meeting_ids = meetings_insert_for_calls(specs=specs)

    # The buyers' last contacts moved forward with the meetings (meetings_insert_for_calls).
    app_links, exotel_links = [], []
    for meeting_id, (app, exo) in zip(meeting_ids, outcome.sources, strict=True):
        if app is not None:
            app.meeting_id = meeting_id
            app_links.append(app)
        if exo is not None:
            exo.meeting_id = meeting_id
            exo.mobile_call_id = app.pk if app is not None else None
            exotel_links.append(exo)

    if outcome.attach:
        meetings_attach_recordings(
            recordings={
                app.meeting_id: exo.recording_name
                for app, exo in outcome.attach
                if exo.recording_status == RecordingStatus.STORED
            }
        )
        for app, exo in outcome.attach:
            exo.meeting_id = app.meeting_id
            exo.mobile_call_id = app.pk
            exotel_links.append(exo)
    if outcome.join:
        meetings_fill_from_app_calls(
            directions={
                exo.meeting_id: APP_DIRECTIONS.get(app.call_type, "") for app, exo in outcome.join
            }
        )
        joined = []
        for app, exo in outcome.join:
            app.meeting_id = exo.meeting_id
            app_links.append(app)
            if not exo.buyer_number.startswith("+") and app.buyer_number.startswith("+"):
                exo.buyer_number = app.buyer_number
            exo.mobile_call_id = app.pk
            joined.append(exo)
        # Already reconciled: only the app call and the buyer number it knows are new.
        bulk_update_rows(
            ExotelCall,
            {exo.pk: (exo.mobile_call_id, exo.buyer_number) for exo in joined},
            ["mobile_call", "buyer_number"],
            common={"updated_at": now},
        )
    bulk_update_rows(
        MobileAppCall,
        {app.pk: (app.meeting_id,) for app in app_links},
        ["meeting"],
        common={"reconciled_at": now, "updated_at": now},
    )
    calls_written.send(
        MobileAppCall, seller_times=[(app.seller_id, app.start_time) for app in app_links]
    )
    # A reconciled app call is searched as its meeting: drop its own documents.
    entities_changed_send(
        sender=MobileAppCall, kind=KIND_MOBILE_CALL, ids=[app.pk for app in app_links]
    )
    bulk_update_rows(
        ExotelCall,
        {exo.pk: (exo.meeting_id, exo.mobile_call_id) for exo in exotel_links},
        ["meeting", "mobile_call"],
        common={"reconciled_at": now, "updated_at": now},
    )
    if outcome.agent_legs:
        ExotelCall.objects.filter(pk__any=[c.pk for c in outcome.agent_legs]).update(
            agent_leg=True, updated_at=now
        )
