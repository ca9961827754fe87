#!/usr/bin/env python
"""Benchmark of call ingestion: a 500-item call-log sync and the reconciliation of N calls a side.

Reports wall time and SQL query count of:
- ``POST /api/call_records/post_app_call_record`` with 500 new items (in-process, real JWT auth);
- the same batch re-sent (every item a duplicate);
- the Exotel webhook (``GET /api/call_records/post_exotel_recording``), one new CallSid a request;
- reconciling N app calls against N Exotel calls of 50 sellers (default N = 10,000).

By default it runs on a throwaway SQLite database; with ``--database-url`` (e.g. a scratch
PostgreSQL database, which it migrates) on that one:

    .venv/bin/python bench/calls_bench.py [--calls 10000] [--database-url postgres://...]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from call_pairs import call_pair  # bench/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent


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


def timed(action):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - started
    return result, elapsed, len(queries)


def bench_sync(seller, repeats: int, size: int = 500) -> list[tuple[str, float, int]]:
    from rest_framework.test import APIClient

    from calls.models import MobileAppCall
    from sellers.services import tokens_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(seller=seller).access}")
    rows = []
    for run in range(repeats):
        start = datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=run)
        items = [
            {
                "sellerNumber": seller.phone,
                "appCallId": f"bench-{run}-{n}",
                "buyerNumber": f"+9197{n:08d}",
                "callType": ("outgoing", "incoming", "missed")[n % 3],
                "startTime": (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endTime": (start + timedelta(minutes=n, seconds=40)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "duration": str(40 * (n % 2)),
            }
            for n in range(size)
        ]
        url = "/api/call_records/post_app_call_record"
        post = partial(client.post, url, items, format="json")
        response, new_time, new_queries = timed(post)
        if response.status_code != 200:
            raise SystemExit(f"sync failed: {response.content[:300]!r}")
        response, dup_time, dup_queries = timed(post)
        if response.json()["duplicate"] != size:
            raise SystemExit("the re-sent batch was not all duplicates")
        rows.append((f"sync {size} new", new_time, new_queries))
        rows.append((f"sync {size} duplicates", dup_time, dup_queries))
    if MobileAppCall.objects.filter(seller=seller).count() != size * repeats:
        raise SystemExit("the synced calls were not all stored")
    return rows


def bench_webhook(agency, seller, requests: int = 50) -> list[tuple[str, float, int]]:
    """The webhook answers in milliseconds: it stores the call and queues the download."""
    from rest_framework.test import APIClient

    client = APIClient()
    rows = []
    for n in range(requests):
        params = {
            "key": agency.exotel_webhook_secret,
            "CallSid": f"bench-webhook-{n}",
            "CallFrom": "0" + seller.phone[3:],
            "CallTo": "08047112233",
            "DialWhomNumber": f"0981{n:07d}",
            "CallStatus": "completed",
            "Direction": "outbound-dial",
            "DialCallDuration": "90",
            "StartTime": "2026-01-01 10:00:00",
            "RecordingUrl": f"https://recordings.exotel.com/exotelrecordings/b/{n}.mp3",
        }
        response, seconds, queries = timed(
            partial(client.get, "/api/call_records/post_exotel_recording", params)
        )
        if response.status_code != 200:
            raise SystemExit(f"webhook failed: {response.content[:300]!r}")
        rows.append(("webhook new CallSid", seconds, queries))
    return rows


def bench_reconcile(agency, sellers, calls: int) -> tuple[float, int, int]:
    from calls.models import ExotelCall, MobileAppCall
    from meetings.reconciliation.services import calls_reconcile

    start = datetime(2026, 2, 1, 4, tzinfo=UTC)
    app_calls, exotel_calls = [], []
    for n in range(calls):
        seller = sellers[n % len(sellers)]
        begin = start + timedelta(minutes=3 * (n // len(sellers)))
        app, exotel = call_pair(
            agency=agency,
            seller=seller,
            index=n,
            begin=begin,
            call_sid=f"sid-{agency.pk.hex[:8]}-{n}",
        )
        app_calls.append(app)
        exotel_calls.append(exotel)
    MobileAppCall.objects.bulk_create(app_calls, batch_size=1000)
    ExotelCall.objects.bulk_create(exotel_calls, batch_size=1000)
    later = start + timedelta(days=1)
    result, elapsed, queries = timed(lambda: calls_reconcile(now=later))
    return elapsed, queries, result.matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=10_000, help="calls per side to reconcile")
    parser.add_argument("--repeat", type=int, default=3, help="sync runs")
    parser.add_argument("--sync-items", type=int, default=500, help="items per synced batch")
    parser.add_argument("--skip-reconcile", action="store_true", help="sync and webhook only")
    parser.add_argument("--database-url", help="default: a throwaway SQLite database")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        setup_django(args.database_url or f"sqlite:///{Path(workdir) / 'bench.sqlite3'}")
        from django.db import connection
        from model_bakery import baker

        from agencies.models import Agency
        from calls import tasks as call_tasks
        from pipeline import tasks
        from sellers.models import Seller

        tasks.process_job.delay = lambda job_id: None  # measure ingestion, not transcription
        call_tasks.download_exotel_recording.delay = lambda *args, **kwargs: None  # nor downloads
        agency = baker.make(Agency, name=f"Calls Bench {time.time_ns()}")
        sellers = [
            baker.make(
                Seller,
                agency=agency,
                email=f"s{n}-{agency.pk}@bench.test",
                phone=f"+91981{n:02d}{agency.pk.int % 10**5:05d}",
                name=f"Seller {n}",
            )
            for n in range(50)
        ]
        print(f"database: {connection.vendor}")
        print(f"{'case':<28}{'seconds':>10}{'queries':>10}")
        by_case: dict[str, list[tuple[float, int]]] = {}
        rows = bench_sync(sellers[0], args.repeat, args.sync_items) + bench_webhook(
            agency, sellers[1]
        )
        for case, seconds, queries in rows:
            by_case.setdefault(case, []).append((seconds, queries))
        for case, runs in by_case.items():
            median = statistics.median(seconds for seconds, _ in runs)
            print(f"{case + ' (median)':<28}{median:>10.3f}{runs[0][1]:>10}")
        if args.skip_reconcile:
            return
        seconds, queries, matched = bench_reconcile(agency, sellers, args.calls)
        print(f"{f'reconcile {args.calls} a side':<28}{seconds:>10.2f}{queries:>10}")
        print(f"matched {matched} of {args.calls}")


if __name__ == "__main__":
    main()
