"""Insights on the views bench data set (200,000 meetings): serving and recomputation cost.

1. Refreshes every buyer's call-next score and warnings (the nightly pass) unless already done,
   and reports its time per buyer.
2. ``GET /api/buyers/call_next`` and ``GET /api/buyers/warnings`` for a manager's team, beside the
   raw SQL of the same page (target: api median within 3x the SQL median).
3. The recomputation a changed meeting costs: the refresh of its buyer (what the on-commit task
   does), over 50 meetings of the team.

Usage (after ``make bench-views-data`` on the same database):
    DATABASE_URL=postgres://.../bench5 .venv/bin/python bench/insights_bench.py [--refresh]
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from django.conf import settings
from views_bench import (  # importing it sets Django up
    Case,
    cpu_check_ms,
    percentile,
    time_endpoint,
    time_sql,
)

from agencies.models import Agency
from insights.models import BuyerInsight
from insights.services import agency_insights_refresh, buyer_insights_refresh
from meetings.models import Meeting
from sellers.models import Seller

CALL_NEXT_SQL = """
SELECT i.buyer_id, b.name, b.phone, i.seller_id, i.score, i.reasons::text, i.next_action_id,
       a.title, a.due_date, i.deal_stage, i.last_contacted_at, i.computed_at
FROM insights_buyerinsight i
JOIN agencies_buyer b ON b.id = i.buyer_id
LEFT JOIN actions_action a ON a.id = i.next_action_id
WHERE i.seller_id = ANY(%(sellers)s) AND i.score > 0
ORDER BY i.score DESC, i.last_contacted_at DESC, i.buyer_id
LIMIT 20
"""
CALL_NEXT_COUNT_SQL = (
    "SELECT count(*) FROM insights_buyerinsight WHERE seller_id = ANY(%(sellers)s) AND score > 0"
)
WARNINGS_SQL = """
SELECT w.id, w.buyer_id, b.name, w.seller_id, w.kind, w.since, w.detail, w.evidence::text
FROM insights_dealwarning w
JOIN agencies_buyer b ON b.id = w.buyer_id
WHERE w.seller_id = ANY(%(sellers)s)
ORDER BY w.since DESC, w.id
LIMIT 50
"""
WARNINGS_COUNT_SQL = "SELECT count(*) FROM insights_dealwarning WHERE seller_id = ANY(%(sellers)s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--refresh", action="store_true", help="redo the nightly pass first")
    args = parser.parse_args()
    agency = Agency.objects.filter(name="Bench Agency").first()
    if agency is None:
        raise SystemExit("No bench data: run bench/generate_views_data.py first.")
    manager = Seller.objects.get(email="manager1@bench.test")
    team = [manager.pk, *Seller.objects.filter(manager=manager).values_list("pk", flat=True)]

    if args.refresh or not BuyerInsight.objects.filter(agency=agency).exists():
        started = time.perf_counter()
        buyers = agency_insights_refresh(agency_id=agency.pk)
        seconds = time.perf_counter() - started
        print(
            f"nightly refresh: {buyers} buyers in {seconds:.1f} s "
            f"({seconds / max(buyers, 1) * 1000:.2f} ms a buyer)"
        )

    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )
    params = {"sellers": team}
    cases = [
        Case("call_next mgr p1", "/api/buyers/call_next", {}, manager, CALL_NEXT_SQL, params),
        Case("warnings mgr p1", "/api/buyers/warnings", {}, manager, WARNINGS_SQL, params),
    ]
    cpu = cpu_check_ms()
    print(f"{'case':<20} {'api p50':>8} {'api p95':>8} {'sql p50':>8} {'ratio':>6}")
    for case, count_sql in zip(cases, (CALL_NEXT_COUNT_SQL, WARNINGS_COUNT_SQL), strict=True):
        api, _ = time_endpoint(case, warmup=args.warmup, requests=args.requests)
        page, _ = time_sql(case, conn, warmup=args.warmup, requests=args.requests)
        count = Case(case.name, case.path, {}, manager, count_sql, params)
        counted, _ = time_sql(count, conn, warmup=args.warmup, requests=args.requests)
        sql50 = statistics.median(page) + statistics.median(counted)  # the page and its count
        api50 = statistics.median(api)
        print(
            f"{case.name:<20} {api50:>8.1f} {percentile(api, 0.95):>8.1f} {sql50:>8.1f} "
            f"{api50 / sql50:>6.2f}"
        )

    rng = random.Random(5)  # noqa: S311  (a repeatable sample, not a secret)
    ids = list(Meeting.objects.filter(seller_id__in=team).values_list("buyer_id", flat=True)[:5000])
    sample = rng.sample(ids, min(50, len(ids)))
    costs = []
    for buyer_id in sample:
        started = time.perf_counter()
        buyer_insights_refresh(buyer_ids=[buyer_id])
        costs.append((time.perf_counter() - started) * 1000)
    print(
        f"recompute per changed meeting (its buyer): median {statistics.median(costs):.1f} ms, "
        f"p95 {percentile(costs, 0.95):.1f} ms over {len(costs)} meetings"
    )
    print(f"CPU check: {cpu:.0f} ms before, {cpu_check_ms():.0f} ms after")
    conn.close()


if __name__ == "__main__":
    main()
