#!/usr/bin/env python
"""Benchmark of the buyer book (issue 15) on PostgreSQL.

- merging a buyer with 2,000 meetings and 4,000 actions into another (``buyers_merge``, the
  service ``POST /api/buyers/merge`` calls), wall time and queries, ``--merges`` times;
- a page of the timeline of a buyer with 5,000 events (calls, actions created and completed,
  notes, lifecycle changes, edits) over HTTP in-process: the first page and a deep one;
- ``GET /api/buyers/all?tag=…`` on an agency of 20,000 buyers, against the raw SQL query that
  fetches the same rows (the target: API p50 at most 3 times the SQL p50).

The database is dropped and re-created (``make bench-buyers``, default ``bench_buyers``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_buyers .venv/bin/python \
        bench/buyers_bench.py [--buyers 20000] [--requests 30] [--merges 3]
"""

import argparse
import math
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The hand-written equivalent of the API's reads: the tagged buyers' count, then one page with
# each buyer's last contact looked up for that page only.
COUNT_SQL = """
SELECT count(*) FROM agencies_buyer b
WHERE b.agency_id = %(agency)s AND b.deleted_at IS NULL
  AND b.id IN (SELECT t.buyer_id FROM agencies_buyer_tags t
               JOIN agencies_buyertag g ON g.id = t.buyertag_id
               WHERE g.agency_id = %(agency)s AND g.name = %(tag)s)
"""
LIST_SQL = """
SELECT p.id, p.name, p.email, p.phone, p.products_discussed::text, p.company_name,
       p.lifecycle, p.tag_names::text,
       COALESCE(GREATEST(last.start_time, p.last_contacted_at), last.start_time,
                p.last_contacted_at) AS last_contact_at,
       COALESCE(last.seller_name, lcb.name) AS last_contact_by
FROM (SELECT b.* FROM agencies_buyer b
      WHERE b.agency_id = %(agency)s AND b.deleted_at IS NULL
        AND b.id IN (SELECT t.buyer_id FROM agencies_buyer_tags t
                     JOIN agencies_buyertag g ON g.id = t.buyertag_id
                     WHERE g.agency_id = %(agency)s AND g.name = %(tag)s)
      ORDER BY b.last_contacted_at DESC NULLS LAST, b.name, b.id LIMIT 50) p
LEFT JOIN sellers_seller lcb ON lcb.id = p.last_contacted_by_id
LEFT JOIN LATERAL (
  SELECT m.start_time, s.name AS seller_name FROM meetings_meeting m
  JOIN sellers_seller s ON s.id = m.seller_id
  WHERE m.buyer_id = p.id ORDER BY m.start_time DESC LIMIT 1) last ON true
ORDER BY p.last_contacted_at DESC NULLS LAST, p.name, p.id
"""


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["CELERY_BROKER_URL"] = "memory://"  # queue nothing for a real worker
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.local")
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("buyers_bench.py needs DATABASE_URL=postgres://… (see make bench-buyers)")
    call_command("migrate", verbosity=0)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def make_people():
    from agencies.models import Agency
    from sellers.models import Role, Seller

    agency = Agency.objects.create(name=f"Bench Buyers {uuid.uuid4().hex[:6]}")
    admin = Seller.objects.create_user(
        f"admin-{agency.pk.hex[:6]}@bench.test",
        "bench-password",
        agency=agency,
        role=Role.ADMIN,
        name="Admin",
        phone="+919000000000",
    )
    sellers = [
        Seller.objects.create_user(
            f"s{i}-{agency.pk.hex[:6]}@bench.test",
            "bench-password",
            agency=agency,
            role=Role.USER,
            name=f"Seller {i}",
            phone=f"+91910000{i:04d}",
        )
        for i in range(10)
    ]
    return agency, admin, sellers


def make_buyers(agency, sellers, count: int):
    from agencies.models import Buyer, BuyerTag

    now = datetime.now(UTC)
    buyers = [
        Buyer(
            agency=agency,
            phone=f"+9188{i:08d}",
            name=f"Buyer {i:05d}",
            company_name=f"Company {i % 500}",
            last_contacted_at=now - timedelta(minutes=i * 7),
            last_contacted_by=sellers[i % len(sellers)],
            lifecycle=("lead", "prospect", "negotiating", "customer")[i % 4],
        )
        for i in range(count)
    ]
    Buyer.objects.bulk_create(buyers, batch_size=2000)
    tags = BuyerTag.objects.bulk_create(
        [BuyerTag(agency=agency, name=name) for name in ["vip", *[f"tag {n}" for n in range(19)]]]
    )
    through = Buyer.tags.through
    rows, names = [], {}
    for index, buyer in enumerate(buyers):
        chosen = {tags[1 + index % 19], tags[1 + (index * 7) % 19]}
        if index % 20 == 0:  # 5 % are VIPs
            chosen.add(tags[0])
        rows += [through(buyer_id=buyer.pk, buyertag_id=tag.pk) for tag in chosen]
        names[buyer.pk] = sorted(tag.name for tag in chosen)
    through.objects.bulk_create(rows, batch_size=5000)
    for buyer in buyers:
        buyer.tag_names = names[buyer.pk]
    Buyer.objects.bulk_update(buyers, ["tag_names"], batch_size=2000)
    return buyers


def give_calls(buyer, seller, *, meetings: int, actions_per_meeting: int, start: datetime):
    from actions.models import Action, ActionStatus
    from meetings.models import Meeting

    rows = [
        Meeting(
            agency_id=buyer.agency_id,
            seller=seller,
            buyer=buyer,
            start_time=start - timedelta(hours=i),
            end_time=start - timedelta(hours=i) + timedelta(minutes=3),
            direction="outgoing",
            title=f"Call {i}",
        )
        for i in range(meetings)
    ]
    Meeting.objects.bulk_create(rows, batch_size=2000)
    Action.objects.bulk_create(
        [
            Action(
                meeting=meeting,
                seller=seller,
                buyer=buyer,
                title=f"Action {n} of {meeting.title}",
                status=ActionStatus.COMPLETED if n == 0 and i % 4 == 0 else ActionStatus.PENDING,
            )
            for i, meeting in enumerate(rows)
            for n in range(actions_per_meeting)
        ],
        batch_size=2000,
    )


def bench_merges(agency, admin, sellers, merges: int) -> list[tuple[float, int, dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.merge_services import buyers_merge
    from agencies.models import Buyer

    results = []
    for n in range(merges):
        keep = Buyer.objects.create(agency=agency, phone=f"+9177{n:08d}", name=f"Keep {n}")
        absorb = Buyer.objects.create(agency=agency, phone=f"+9176{n:08d}", name=f"Absorb {n}")
        give_calls(
            absorb, sellers[n % 10], meetings=2000, actions_per_meeting=2, start=datetime.now(UTC)
        )
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            record = buyers_merge(actor=admin, keep=keep, merge=[absorb])
            elapsed = time.perf_counter() - started
        results.append((elapsed, len(queries), record.moved))
    return results


def make_timeline_buyer(agency, admin, seller):
    from agencies.book_services import buyer_note_add, buyer_update
    from agencies.models import Buyer

    buyer = Buyer.objects.create(
        agency=agency, phone="+9175000000", name="Timeline buyer", last_contacted_by=seller
    )
    # 2,000 calls, 2,000 actions created (500 completed), 300 notes, 200 lifecycle changes
    # with their 200 edits... together at least 5,000 events.
    give_calls(buyer, seller, meetings=2000, actions_per_meeting=1, start=datetime.now(UTC))
    for n in range(300):
        buyer_note_add(actor=seller, buyer=buyer, text=f"Note {n}")
    for n in range(200):
        buyer_update(
            actor=admin, buyer=buyer, data={"lifecycle": "prospect" if n % 2 else "negotiating"}
        )
    return buyer


def client_for(seller):
    from rest_framework.test import APIClient

    from sellers.services import tokens_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(seller=seller).access}")
    return client


class QueryCount:
    """Statements run on the connection (the test client resets Django's own query log)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def count_queries(action) -> int:
    from django.db import connection

    counter = QueryCount()
    with connection.execute_wrapper(counter):
        action()
    return counter.count


def measure(action, requests: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        action()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--merges", type=int, default=3)
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    agency, admin, sellers = make_people()
    started = time.perf_counter()
    make_buyers(agency, sellers, args.buyers)
    timeline_buyer = make_timeline_buyer(agency, admin, sellers[0])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    print(f"data: {args.buyers} buyers and a 5,000-event buyer in {elapsed:.0f} s")

    print("\nmerge a buyer with 2,000 meetings and 4,000 actions")
    for elapsed, queries, moved in bench_merges(agency, admin, sellers, args.merges):
        print(f"  {elapsed:6.2f} s  {queries:3d} queries  moved {moved}")

    client = client_for(admin)
    url = f"/api/buyers/timeline/{timeline_buyer.pk}"
    total = client.get(url, {"limit": 1}).json()["pagination"]["total_count"]
    print(f"\ntimeline of a buyer with {total} events (limit 50), {args.requests} requests")
    for label, page in (("page 1", 1), ("page 50", 50)):
        response = client.get(url, {"limit": 50, "page": page})
        if response.status_code != 200:
            sys.exit(f"timeline answered {response.status_code}: {response.content[:200]}")
        queries = count_queries(lambda page=page: client.get(url, {"limit": 50, "page": page}))
        times = measure(
            lambda page=page: client.get(url, {"limit": 50, "page": page}), args.requests
        )
        print(
            f"  {label:8s} p50 {ms(statistics.median(times)):>7s} ms  p95 "
            f"{ms(percentile(times, 0.95)):>7s} ms  {queries} queries"
        )

    print(f"\nbuyer list filtered by tag, {args.buyers} buyers (admin, limit 50)")
    list_url = "/api/buyers/all"
    params = {"tag": "vip", "limit": 50}
    body = client.get(list_url, params).json()
    queries = count_queries(lambda: client.get(list_url, params))
    api = measure(lambda: client.get(list_url, params), args.requests)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(COUNT_SQL, {"agency": agency.pk, "tag": "vip"})
            cursor.fetchall()
            cursor.execute(LIST_SQL, {"agency": agency.pk, "tag": "vip"})
            return cursor.fetchall()

    rows = raw()
    if [str(r[0]) for r in rows] != [b["id"] for b in body["buyers"]]:
        sys.exit("the SQL and the API answered different rows")
    sql = measure(raw, args.requests)
    ratio = statistics.median(api) / statistics.median(sql)
    print(
        f"  api p50 {ms(statistics.median(api))} ms p95 {ms(percentile(api, 0.95))} ms "
        f"({queries} queries, {body['pagination']['total_count']} tagged)"
    )
    print(f"  sql p50 {ms(statistics.median(sql))} ms p95 {ms(percentile(sql, 0.95))} ms")
    print(f"  api / sql = {ratio:.2f}  (target ≤ 3) {'OK' if ratio <= 3 else 'MISSED'}")
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
