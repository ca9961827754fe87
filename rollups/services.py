"""Per-seller, per-day call counters (``SellerDailyCalls``), kept equal to their source rows.

How a row stays right:
- Writers say which calls changed: ``rollups_mark_dirty(seller_times=[(seller_id, start_time)])``
  (the save/delete signals of ``rollups.signals`` do it for single-row writes; bulk writers
  call it themselves). The marks are kept for the current thread and, once the transaction
  commits, ``rollups_flush_pending`` recomputes every affected (seller, day).
- A refresh never adds to a counter: it recomputes the whole (seller, day) from the meetings and
  app calls and writes it with one upsert, under a lock on the sellers' rows, so retries,
  duplicate marks and concurrent refreshes all end with the same row (idempotent by
  construction).
- Analytics flush this thread's marks before reading (a read after a write in the same
  transaction sees it); ``rollups_rebuild`` (``manage.py rollups_rebuild``) recomputes any range
  and the nightly ``rollups.tasks.repair_recent_rollups`` the last days, for whatever a writer
  forgot to mark.

A call's day is its start's agency-local date. An app call is counted as ``rollups.analytics``
counts it, so a mark also covers the days of its twin window (``CALL_DEDUP_WINDOW``) and of the
reconciliation tolerance: a meeting created at 00:00:03 can hide an app call of 23:59:58.
"""

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from meetings.history_selectors import CALL_DEDUP_WINDOW
from rollups.models import SellerDailyCalls
from rollups.selectors import DayFigures, daily_figures
from sellers.models import Seller

logger = logging.getLogger(__name__)

# A refresh reads the calls of consecutive days with one query; days further apart are read apart.
RUN_GAP_DAYS = 7
# Above this many (seller, day) rows, or this many marked calls, a commit's marks are refreshed
# by a Celery task: a 5,000-item call-log sync should not wait for its own rollups.
INLINE_REFRESH_LIMIT = 500
INLINE_REFRESH_MAX_CALLS = 1000
COUNTER_FIELDS = (
    "outgoing_answered",
    "outgoing_unanswered",
    "incoming_answered",
    "incoming_unanswered",
    "missed",
    "not_answered",
    "meetings",
    "talk_seconds",
    "leads",
    "lead_phones",
    "scored_meetings",
    "score_sum",
    "undisclosed",
)

_local = threading.local()


def _pending() -> set[tuple[uuid.UUID, datetime]]:
    if not hasattr(_local, "pending"):
        _local.pending = set()
    return _local.pending


def _mark_margin() -> timedelta:
    return max(CALL_DEDUP_WINDOW, timedelta(seconds=settings.CALL_MATCH_TOLERANCE_SECONDS))


def rollups_mark_dirty(*, seller_times: Iterable[tuple[uuid.UUID | None, datetime | None]]) -> None:
    """Note calls that were written (their seller and start); their days refresh on commit."""
    pending = _pending()
    before = len(pending)
    pending.update(
        (seller_id, moment)
        for seller_id, moment in seller_times
        if seller_id is not None and moment is not None
    )
    if len(pending) > before:
        # robust: a failed refresh is logged, never the writer's error (the nightly repair and
        # the next read retry it).
        transaction.on_commit(rollups_flush_pending, robust=True)


def rollups_flush_pending(*, inline: bool = False) -> int:
    """Refresh the days this thread marked; large sets go to a task unless ``inline``.

    Returns the number of (seller, day) rows refreshed here.
    """
    pending = _pending()
    if not pending:
        return 0
    marks = list(pending)
    pending.clear()
    try:
        seller_days = _seller_days_of(marks)
        large = len(seller_days) > INLINE_REFRESH_LIMIT or len(marks) > INLINE_REFRESH_MAX_CALLS
        if not inline and large:
            from rollups.tasks import refresh_daily_rollups  # late: tasks import services

            refresh_daily_rollups.delay(
                [[str(seller_id), day.isoformat()] for seller_id, day in sorted(seller_days)]
            )
            return 0
        return daily_rollups_refresh(seller_days=seller_days)
    except Exception:
        pending.update(marks)  # the next read or commit of this thread tries again
        raise


def _seller_days_of(marks: list[tuple[uuid.UUID, datetime]]) -> set[tuple[uuid.UUID, date]]:
    zones = dict(
        Seller.objects.filter(pk__in={seller_id for seller_id, _ in marks}).values_list(
            "pk", "agency__timezone"
        )
    )
    margin = _mark_margin()
    days: set[tuple[uuid.UUID, date]] = set()
    for seller_id, moment in marks:
        if seller_id not in zones:
            continue  # the seller is gone, and their rows with them
        tz = ZoneInfo(zones[seller_id])
        first = (moment - margin).astimezone(tz).date()
        last = (moment + margin).astimezone(tz).date()
        days.update((seller_id, first + timedelta(days=n)) for n in range((last - first).days + 1))
    return days


def _day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as ``(first, last)`` runs, a new run after a gap of ``RUN_GAP_DAYS``."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][1]).days <= RUN_GAP_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def daily_rollups_refresh(
    *, seller_days: Iterable[tuple[uuid.UUID, date]], dry_run: bool = False
) -> int:
    """Recompute the given (seller, day) rows from the calls; returns how many rows changed
    (or would change, with ``dry_run``). Idempotent: the rows end equal to their sources.
    """
    wanted: dict[uuid.UUID, set[date]] = defaultdict(set)
    for seller_id, day in seller_days:
        wanted[seller_id].add(day)
    if not wanted:
        return 0
    sellers = Seller.objects.filter(pk__in=list(wanted)).values_list(
        "pk", "agency_id", "agency__timezone"
    )
    by_agency: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = defaultdict(list)
    for seller_id, agency_id, zone in sellers:
        by_agency[(agency_id, zone)].append(seller_id)
    changed = 0
    for (agency_id, zone), seller_ids in sorted(by_agency.items(), key=lambda item: str(item[0])):
        changed += _refresh_agency(
            agency_id=agency_id,
            tz=ZoneInfo(zone),
            wanted={seller_id: wanted[seller_id] for seller_id in seller_ids},
            dry_run=dry_run,
        )
    return changed


def _refresh_agency(
    *, agency_id: uuid.UUID, tz: ZoneInfo, wanted: dict[uuid.UUID, set[date]], dry_run: bool
) -> int:
    seller_ids = sorted(wanted)
    with transaction.atomic():
        if not dry_run:
            # One refresher per seller at a time, reading after the lock: the last one to run
            # saw every commit before it, so no stale result can overwrite a newer one.
            list(
                Seller.objects.select_for_update(no_key=True)
                .filter(pk__in=seller_ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        figures: dict[tuple[uuid.UUID, date], DayFigures] = {}
        for first, last in _day_runs(day for days in wanted.values() for day in days):
            run_sellers = [s for s in seller_ids if any(first <= d <= last for d in wanted[s])]
            figures.update(
                daily_figures(
                    agency_id=agency_id,
                    tz=tz,
                    seller_ids=run_sellers,
                    start=_local_midnight(first, tz),
                    end=_local_midnight(last + timedelta(days=1), tz),
                )
            )
        keys = {(seller_id, day) for seller_id, days in wanted.items() for day in days}
        fresh = {key: figures[key].values() for key in keys if key in figures}
        stored_filter = Q()
        for seller_id, days in wanted.items():
            stored_filter |= Q(seller_id=seller_id, day__in=sorted(days))
        stored = {
            (row["seller_id"], row["day"]): row
            for row in SellerDailyCalls.objects.filter(stored_filter).values(
                "seller_id", "day", *COUNTER_FIELDS
            )
        }
        changed_rows = [
            key
            for key, values in fresh.items()
            if key not in stored or any(stored[key][name] != values[name] for name in values)
        ]
        empty = [key for key in stored if key not in fresh]
        if dry_run:
            return len(changed_rows) + len(empty)
        if changed_rows:
            SellerDailyCalls.objects.bulk_create(
                [
                    SellerDailyCalls(
                        agency_id=agency_id, seller_id=seller_id, day=day, **fresh[key]
                    )
                    for key in changed_rows
                    for seller_id, day in [key]
                ],
                update_conflicts=True,
                unique_fields=["seller", "day"],
                update_fields=[*COUNTER_FIELDS, "updated_at"],
                batch_size=1000,
            )
        if empty:
            empty_filter = Q()
            for seller_id, day in empty:
                empty_filter |= Q(seller_id=seller_id, day=day)
            SellerDailyCalls.objects.filter(empty_filter).delete()
    return len(changed_rows) + len(empty)


@dataclass(frozen=True)
class RebuildResult:
    sellers: int
    days: int
    changed: int


def rollups_rebuild(
    *,
    start_day: date,
    end_day: date,
    agency_id: uuid.UUID | None = None,
    dry_run: bool = False,
    chunk_days: int = 31,
    progress: Callable[[int], None] | None = None,
) -> RebuildResult:
    """Recompute every seller's rows from ``start_day`` to ``end_day`` (inclusive, local days).

    One seller and ``chunk_days`` at a time (bounded memory, short locks); ``progress`` is
    called with the number of seller-days done after each chunk.
    """
    sellers = Seller.objects.order_by("agency_id", "pk")
    if agency_id is not None:
        sellers = sellers.filter(agency_id=agency_id)
    seller_ids = list(sellers.values_list("pk", flat=True))
    total_days = (end_day - start_day).days + 1
    changed = 0
    for seller_id in seller_ids:
        first = start_day
        while first <= end_day:
            last = min(end_day, first + timedelta(days=chunk_days - 1))
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            changed += daily_rollups_refresh(
                seller_days=[(seller_id, day) for day in days], dry_run=dry_run
            )
            if progress is not None:
                progress(len(days))
            first = last + timedelta(days=1)
    return RebuildResult(sellers=len(seller_ids), days=total_days, changed=changed)
