#!/usr/bin/env python
"""Benchmark of reconciliation at scale and of the 5,000-item call-log sync (issue 18).

On PostgreSQL (``--database-url``, migrated here; its call, meeting and buyer tables are emptied
between runs), for each N of ``--sizes``: N app calls against N Exotel calls of 50 sellers,
every pair matching, reconciled by ``calls_reconcile`` (wall time, queries, peak memory as the
process's max RSS growth and, with ``--tracemalloc``, Python's traced peak). Before each size the
calls are analysed and a checkpoint is taken, so one size does not pay for the last one's WAL.
``RECONCILE_THREADS`` (the setting, default 2) is how many chunks run at once; the queries column
counts the calling thread's only when it is 1. Then a 5,000-item
sync in one transaction, through the service and through the API (in-process test client, real
JWT). Prints a table, the ratio time(2N)/time(N) and the load average.

    .venv/bin/python bench/reconcile_bench.py --database-url postgres://postgres@127.0.0.1:5432/reconcile
"""

import argparse
import gc
import os
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from call_pairs import call_pair  # bench/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent
SELLERS = 50
START = datetime(2026, 2, 1, 4, tzinfo=UTC)


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_BROKER_URL"] = "memory://"  # queue nothing for a real worker
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.local")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def empty_tables() -> None:
    from django.db import connection

    from agencies.models import Buyer
    from calls.models import ExotelCall, MobileAppCall
    from meetings.models import Job, Meeting
    from rollups.models import SellerDailyCalls

    tables = [m._meta.db_table for m in (Job, Meeting, ExotelCall, MobileAppCall, Buyer)]
    tables.append(SellerDailyCalls._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def load_calls(agency, sellers, n: int) -> None:
    """N app calls and N Exotel calls (each seller's calls 3 minutes apart), in chunks."""
    from calls.models import ExotelCall, MobileAppCall

    for chunk in range(0, n, 10_000):
        apps, exos = [], []
        for i in range(chunk, min(n, chunk + 10_000)):
            seller = sellers[i % len(sellers)]
            begin = START + timedelta(minutes=3 * (i // len(sellers)))
            app, exotel = call_pair(
                agency=agency, seller=seller, index=i, begin=begin, call_sid=f"sid-{i}"
            )
            apps.append(app)
            exos.append(exotel)
        MobileAppCall.objects.bulk_create(apps, batch_size=2000)
        ExotelCall.objects.bulk_create(exos, batch_size=2000)


def settle() -> None:
    """Each size starts alike: the loaded calls analysed (as autovacuum would have them), and
    a checkpoint taken so no run pays for the WAL of the one before it."""
    from django.db import connection

    from calls.models import ExotelCall, MobileAppCall

    with connection.cursor() as cursor:
        for model in (MobileAppCall, ExotelCall):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute("CHECKPOINT")


def bench_reconcile(agency, sellers, n: int, trace: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meetings.models import Meeting
    from meetings.reconciliation.services import calls_reconcile

    empty_tables()
    load_calls(agency, sellers, n)
    settle()
    gc.collect()
    rss_before = max_rss_mb()
    if trace:
        tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = calls_reconcile(now=START + timedelta(days=30))
        seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    if result.matched != n or Meeting.objects.count() != n:
        raise SystemExit(f"N={n}: matched {result.matched}, {Meeting.objects.count()} meetings")
    return {
        "case": f"reconcile {n:,} a side",
        "seconds": seconds,
        "queries": len(queries),
        "rss": max_rss_mb() - rss_before,
        "traced": traced,
    }


def sync_items(seller, size: int, run: str) -> list[dict]:
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    return [
        {
            "sellerNumber": seller.phone,
            "appCallId": f"sync-{run}-{n}",
            "buyerNumber": f"+9197{n:08d}",
            "callType": ("outgoing", "incoming", "missed")[n % 3],
            "startTime": (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endTime": (start + timedelta(minutes=n, seconds=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": str(40 * (n % 2)),
        }
        for n in range(size)
    ]


def bench_sync(seller, size: int) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from calls.serializers import app_call_items_validate
    from calls.sync_services import app_calls_sync
    from sellers.services import tokens_issue

    rows = []

    def timed(case, action):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = action()
            seconds = time.perf_counter() - started
        rows.append({"case": case, "seconds": seconds, "queries": len(queries)})
        return result

    items = sync_items(seller, size, "service")

    def sync():  # validated as the endpoint does, then stored
        calls = app_call_items_validate(seller=seller, items=items)
        return app_calls_sync(seller=seller, calls=calls)

    result = timed(f"sync {size:,} (service)", sync)
    if result.created != size:
        raise SystemExit(f"sync created {result.created} of {size}")
    result = timed(f"sync {size:,} re-sent (service)", sync)
    if result.duplicate != size:
        raise SystemExit(f"re-sent sync: {result.duplicate} of {size} duplicates")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(seller=seller).access}")
    items = sync_items(seller, size, "api")
    url = "/api/call_records/post_app_call_record"
    response = timed(f"sync {size:,} (API)", lambda: client.post(url, items, format="json"))
    if response.status_code != 200 or response.json()["created"] != size:
        raise SystemExit(f"API sync failed: {response.content[:200]!r}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to use")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--sync-items", type=int, default=5_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python's peak")
    args = parser.parse_args()
    setup_django(args.database_url)
    from model_bakery import baker

    from agencies.models import Agency
    from calls import tasks as call_tasks
    from meetings.reconciliation import tasks as reconciliation_tasks
    from pipeline import tasks
    from sellers.models import Seller

    tasks.process_job.delay = lambda job_id: None  # measure reconciliation, not transcription
    call_tasks.download_exotel_recording.delay = lambda *args, **kwargs: None
    reconciliation_tasks.reconcile_calls.delay = lambda *args, **kwargs: None  # timed apart

    agency = baker.make(Agency, name=f"Reconcile Bench {time.time_ns()}")
    sellers = [
        baker.make(
            Seller,
            agency=agency,
            email=f"s{n}-{agency.pk}@bench.test",
            phone=f"+91981{n:02d}{agency.pk.int % 10**5:05d}",
            name=f"Seller {n}",
        )
        for n in range(SELLERS)
    ]
    rows = [bench_reconcile(agency, sellers, n, args.tracemalloc) for n in sorted(args.sizes)]
    empty_tables()
    rows += bench_sync(sellers[0], args.sync_items)

    print(f"{'case':<32}{'seconds':>9}{'queries':>9}{'max RSS +MB':>13}{'traced MB':>11}")
    for row in rows:
        rss = f"{row['rss']:.0f}" if "rss" in row else "-"
        traced = f"{row['traced']:.0f}" if row.get("traced") is not None else "-"
        print(f"{row['case']:<32}{row['seconds']:>9.2f}{row['queries']:>9}{rss:>13}{traced:>11}")
    timed = {int(r["case"].split()[1].replace(",", "")): r["seconds"] for r in rows[:-3]}
    sizes = sorted(timed)
    for small in sizes:
        if 2 * small in timed:
            ratio = timed[2 * small] / timed[small]
            print(f"time({2 * small:,}) / time({small:,}) = {ratio:.2f}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
