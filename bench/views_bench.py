"""Latency of the app's main views on the generated data set, beside the raw SQL for the same rows.

Each case sends real requests in-process (Django's test client: URL routing, JWT auth, the view,
JSON rendering; no network) and, separately, runs one hand-written SQL query that fetches the same
rows with psycopg (fetchall included). Medians and p95 over ``--requests`` runs after
``--warmup`` runs. Target: endpoint p95 under 150 ms and endpoint median within 3x the SQL median.

Usage (after ``bench/generate_views_data.py`` on the same database):
    DATABASE_URL=postgres://.../bench5 REDIS_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python bench/views_bench.py [--requests 30] [--warmup 5] [--only NAME ...]
"""

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG would record every query

import django

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from agencies.buyer_search_cache import buyer_search_cache_invalidate  # noqa: E402
from agencies.models import Agency, Buyer  # noqa: E402
from chirpworks.timeframes import local_today  # noqa: E402
from insights.throttles import BuyerSearchThrottle  # noqa: E402
from sellers.models import Seller  # noqa: E402
from sellers.tokens import SellerRefreshToken  # noqa: E402

P95_TARGET_MS = 150.0
RATIO_TARGET = 3.0


@dataclass
class Case:
    name: str
    path: str
    params: dict[str, Any]
    actor: Seller
    sql: str
    sql_params: dict[str, Any]
    before_each: Callable[[], None] | None = None
    note: str = ""
    # Compares the endpoint's JSON with the reference SQL's rows: None, or what differs.
    same_answer: Callable[[dict, list[tuple], Any], str | None] | None = None
    # The cases (call_history, actions list, buyer search, total_call_data) carry the
    # target; the others are reported beside them for comparison.
    target: bool = True


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


CALL_HISTORY_SQL = """
WITH rows AS (
  SELECT m.id, m.title, m.source, m.start_time, m.end_time, m.direction, m.summary::text,
         m.seller_id, s.name AS seller_name, s.email AS seller_email, s.phone AS seller_phone,
         b.phone AS buyer_phone, b.name AS buyer_name, b.email AS buyer_email,
         j.status AS status, NULL::varchar AS call_type, NULL::integer AS duration
  FROM meetings_meeting m
  JOIN sellers_seller s ON s.id = m.seller_id
  JOIN agencies_buyer b ON b.id = m.buyer_id
  LEFT JOIN meetings_job j ON j.meeting_id = m.id
  WHERE m.seller_id = ANY(%(sellers)s) AND m.start_time >= %(start)s AND m.start_time < %(end)s
  UNION ALL
  SELECT a.id, NULL, 'phone', a.start_time, a.end_time, NULL, NULL,
         a.seller_id, s.name, s.email, a.seller_number,
         a.buyer_number, b.name, b.email, a.status, a.call_type, a.duration
  FROM calls_mobileappcall a
  JOIN sellers_seller s ON s.id = a.seller_id
  LEFT JOIN agencies_buyer b ON b.agency_id = s.agency_id AND b.phone = a.buyer_number
  WHERE a.seller_id = ANY(%(sellers)s) AND a.meeting_id IS NULL
    AND a.start_time >= %(start)s AND a.start_time < %(end)s
    AND NOT EXISTS (
      SELECT 1 FROM meetings_meeting m2 JOIN agencies_buyer b2 ON b2.id = m2.buyer_id
      WHERE m2.seller_id = a.seller_id AND b2.agency_id = s.agency_id
        AND b2.phone = a.buyer_number
        AND m2.start_time BETWEEN a.start_time - interval '5 seconds'
                              AND a.start_time + interval '5 seconds'
        AND m2.start_time >= %(start)s AND m2.start_time < %(end)s)
)
SELECT *, count(*) OVER () AS total FROM rows ORDER BY start_time DESC, id DESC
"""

ACTIONS_SQL = """
SELECT a.id, a.title, a.due_date, a.status, a.description::text, a.meeting_id, m.title,
       mb.phone, mb.name, ms.name, a.reasoning, a.signals::text, a.created_at, a.buyer_id,
       b.name, b.phone, b.company_name, count(*) OVER () AS total
FROM actions_action a
JOIN meetings_meeting m ON m.id = a.meeting_id
JOIN agencies_buyer mb ON mb.id = m.buyer_id
JOIN sellers_seller ms ON ms.id = m.seller_id
JOIN agencies_buyer b ON b.id = a.buyer_id
WHERE a.seller_id = ANY(%(sellers)s) AND m.seller_id = ANY(%(sellers)s)
ORDER BY a.due_date ASC NULLS LAST, a.created_at DESC, a.id ASC
"""

BUYERS_ALL_SQL = """
SELECT b.id, b.name, b.email, b.phone, b.products_discussed::text, b.company_name,
       COALESCE(GREATEST(last.start_time, b.last_contacted_at), last.start_time,
                b.last_contacted_at) AS last_contact_at,
       COALESCE(last.seller_name, lcb.name) AS last_contact_by, count(*) OVER () AS total
FROM agencies_buyer b
LEFT JOIN sellers_seller lcb ON lcb.id = b.last_contacted_by_id
LEFT JOIN LATERAL (
  SELECT m.start_time, s.name AS seller_name FROM meetings_meeting m
  JOIN sellers_seller s ON s.id = m.seller_id
  WHERE m.buyer_id = b.id ORDER BY m.start_time DESC LIMIT 1) last ON true
WHERE b.agency_id = %(agency)s
  AND (b.created_by_id = ANY(%(sellers)s) OR b.last_contacted_by_id = ANY(%(sellers)s)
       OR b.id IN (SELECT buyer_id FROM meetings_meeting WHERE seller_id = ANY(%(sellers)s)))
ORDER BY last_contact_at DESC NULLS LAST, b.name, b.id
"""

BUYER_SEARCH_SQL = """
WITH scored AS (
  SELECT b.*, GREATEST(
    similarity(b.name, %(q)s), 0.9 * similarity(b.company_name, %(q)s),
    0.8 * similarity(b.phone, %(q)s), 0.6 * similarity(b.email, %(q)s)) AS score
  FROM agencies_buyer b
  WHERE b.agency_id = %(agency)s
    AND (b.created_by_id = ANY(%(sellers)s) OR b.last_contacted_by_id = ANY(%(sellers)s)
      OR b.id IN (SELECT buyer_id FROM meetings_meeting WHERE seller_id = ANY(%(sellers)s)))
    AND (
    b.name ILIKE %(like)s OR b.name %% %(q)s OR b.company_name ILIKE %(like)s
    OR b.company_name %% %(q)s OR b.phone ILIKE %(like)s OR b.phone %% %(q)s
    OR b.email ILIKE %(like)s OR b.email %% %(q)s)
)
SELECT sc.id, sc.name, sc.email, sc.phone, sc.company_name, sc.products_discussed::text,
       sc.score, last.start_time, last.seller_name, count(*) OVER () AS total
FROM scored sc
LEFT JOIN LATERAL (
  SELECT m.start_time, s.name AS seller_name FROM meetings_meeting m
  JOIN sellers_seller s ON s.id = m.seller_id
  WHERE m.buyer_id = sc.id ORDER BY m.start_time DESC LIMIT 1) last ON true
ORDER BY sc.score DESC, sc.name, sc.id
"""

# The whole 30-day series (per day: calls by direction, distinct leads) in one statement; app
# calls that are a meeting's twin are left out, and managers are not counted (contract 2.10).
TOTAL_CALL_DATA_SQL = """
WITH calls AS (
  SELECT (m.start_time AT TIME ZONE %(tz)s)::date AS day, m.direction, true AS answered,
         b.phone AS phone
  FROM meetings_meeting m JOIN agencies_buyer b ON b.id = m.buyer_id
  WHERE m.seller_id = ANY(%(sellers)s) AND m.start_time >= %(start)s AND m.start_time < %(end)s
    AND m.direction IN ('incoming', 'outgoing')
  UNION ALL
  SELECT (a.start_time AT TIME ZONE %(tz)s)::date,
         CASE WHEN a.status = 'Processing' AND a.call_type = 'outgoing' THEN 'outgoing'
              WHEN a.status = 'Not Answered' AND a.call_type <> 'incoming' THEN 'outgoing'
              ELSE 'incoming' END,
         a.status = 'Processing', a.buyer_number
  FROM calls_mobileappcall a
  WHERE a.seller_id = ANY(%(sellers)s) AND a.meeting_id IS NULL
    AND a.start_time >= %(start)s AND a.start_time < %(end)s
    AND NOT EXISTS (
      SELECT 1 FROM meetings_meeting m2 JOIN agencies_buyer b2 ON b2.id = m2.buyer_id
      WHERE m2.seller_id = a.seller_id AND b2.agency_id = %(agency)s
        AND b2.phone = a.buyer_number
        AND m2.start_time BETWEEN a.start_time - interval '5 seconds'
                              AND a.start_time + interval '5 seconds')
)
SELECT day, count(*) FILTER (WHERE direction = 'outgoing'),
       count(*) FILTER (WHERE direction = 'incoming'),
       count(DISTINCT phone) FILTER (WHERE answered)
FROM calls GROUP BY ROLLUP (day)
"""

# team_call_data: the same calls grouped by seller (each seller's calls and distinct leads).
TEAM_CALL_DATA_SQL = (
    TOTAL_CALL_DATA_SQL.replace(
        "SELECT (m.start_time AT TIME ZONE %(tz)s)::date AS day,", "SELECT m.seller_id AS day,"
    )
    .replace("SELECT (a.start_time AT TIME ZONE %(tz)s)::date,", "SELECT a.seller_id,")
    .replace("GROUP BY ROLLUP (day)", "GROUP BY day")
)


def same_daily_figures(body: dict, rows: list[tuple], first_day) -> str | None:
    """Whether total_call_data's JSON holds the reference SQL's figures (None: it does)."""
    for day, outgoing, incoming, leads in rows:
        if day is None:
            got = body["total_data"]
            want = {
                "total_outgoing_calls": outgoing,
                "total_incoming_calls": incoming,
                "unique_leads_engaged": leads,
            }
        else:
            got = body["sales_data"][f"day{(day - first_day).days}"]
            want = {
                "outgoing_calls": outgoing,
                "incoming_calls": incoming,
                "unique_leads_engaged": leads,
            }
        if any(got[key] != value for key, value in want.items()):
            return f"{day}: api {got} sql {want}"
    return None


def same_seller_figures(body: dict, rows: list[tuple], _first_day) -> str | None:
    """Whether team_call_data's JSON holds the reference SQL's per-seller figures."""
    by_seller = {str(row["seller_id"]): row["metrics"] for row in body["seller_data"]}
    for seller_id, outgoing, incoming, leads in rows:
        got = by_seller.get(str(seller_id), {})
        want = {"outgoing_calls": outgoing, "incoming_calls": incoming, "leads_engaged": leads}
        if any(got.get(key) != value for key, value in want.items()):
            return f"{seller_id}: api {got} sql {want}"
    return None


BUYER_CALL_HISTORY_SQL = """
SELECT m.id, m.title, m.start_time, m.end_time, m.direction, m.summary::text, s.name, s.email,
       s.phone, j.status
FROM meetings_meeting m JOIN sellers_seller s ON s.id = m.seller_id
LEFT JOIN meetings_job j ON j.meeting_id = m.id
WHERE m.buyer_id = %(buyer)s AND s.agency_id = %(agency)s
UNION ALL
SELECT a.id, NULL, a.start_time, a.end_time, a.call_type, NULL, s.name, s.email,
       a.seller_number, a.status
FROM calls_mobileappcall a JOIN sellers_seller s ON s.id = a.seller_id
WHERE a.buyer_number = %(phone)s AND s.agency_id = %(agency)s AND a.meeting_id IS NULL
ORDER BY 3 DESC
"""


def build_cases(agency: Agency) -> list[Case]:
    tz = agency.tzinfo
    manager = Seller.objects.get(email="manager1@bench.test")
    seller = Seller.objects.get(email="seller1-1@bench.test")
    admin = Seller.objects.get(email="admin@bench.test")
    team = [manager.pk, *Seller.objects.filter(manager=manager).values_list("pk", flat=True)]
    # The sellers an admin's totals count: every one but the managers (contract 2.10).
    counted_all = list(
        Seller.objects.filter(agency=agency).exclude(role="manager").values_list("pk", flat=True)
    )
    today = local_today(tz)
    first = today - timedelta(days=29)
    start = datetime.combine(first, dtime(), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), dtime(), tzinfo=tz)
    days = {"start_date": first.isoformat(), "end_date": today.isoformat()}
    team_ids = ",".join(str(pk) for pk in team)
    window = {"sellers": team, "start": start, "end": end}
    # The buyer with the most meetings: the heaviest buyer call history.
    busiest = (
        Buyer.objects.filter(agency=agency)
        .annotate(n=django.db.models.Count("meetings"))
        .order_by("-n", "pk")
        .first()
    )

    def fresh_search() -> None:
        # Measure the search itself, not the 5-minute result cache.
        buyer_search_cache_invalidate(agency_id=agency.pk)

    return [
        Case(
            "call_history team 30d",
            "/api/meetings/call_history",
            {**days, "team_member_ids": team_ids},
            manager,
            CALL_HISTORY_SQL,
            window,
            note="bare array, every row",
        ),
        Case(
            "call_history team 30d p1",
            "/api/meetings/call_history",
            {**days, "team_member_ids": team_ids, "page": 1, "limit": 50},
            manager,
            CALL_HISTORY_SQL + " LIMIT 50",
            window,
            note="page 1 of 50",
        ),
        Case(
            "actions seller p1",
            "/api/actions/",
            {"page": 1, "limit": 50},
            seller,
            ACTIONS_SQL + " LIMIT 50",
            {"sellers": [seller.pk]},
            note="page 1 of 50",
        ),
        Case(
            "actions seller all",
            "/api/actions/",
            {},
            seller,
            ACTIONS_SQL,
            {"sellers": [seller.pk]},
            note="bare list, every row",
        ),
        Case(
            "buyer search",
            "/api/buyers/search",
            {"q": "Priya Sharma"},
            manager,
            BUYER_SEARCH_SQL + " LIMIT 50",
            {"q": "Priya Sharma", "like": "%Priya Sharma%", "agency": agency.pk, "sellers": team},
            before_each=fresh_search,
            note="uncached",
        ),
        Case(
            "buyer search phone",
            "/api/buyers/search",
            {"q": "98000"},
            manager,
            BUYER_SEARCH_SQL + " LIMIT 50",
            {"q": "98000", "like": "%98000%", "agency": agency.pk, "sellers": team},
            before_each=fresh_search,
            note="uncached",
        ),
        Case(
            "total_call_data mgr 30d",
            "/api/analytics/total_call_data",
            days,
            manager,
            TOTAL_CALL_DATA_SQL,
            {**window, "sellers": team[1:], "tz": agency.timezone, "agency": agency.pk},
            note="own + team",
            same_answer=same_daily_figures,
        ),
        Case(
            "total_call_data admin 30d",
            "/api/analytics/total_call_data",
            days,
            admin,
            TOTAL_CALL_DATA_SQL,
            {
                "sellers": counted_all,
                "start": start,
                "end": end,
                "tz": agency.timezone,
                "agency": agency.pk,
            },
            note="whole agency",
            same_answer=same_daily_figures,
        ),
        Case(
            "team_call_data mgr 30d",
            "/api/analytics/team_call_data",
            days,
            manager,
            TEAM_CALL_DATA_SQL,
            {**window, "sellers": team[1:], "tz": agency.timezone, "agency": agency.pk},
            note="per seller of the team",
            same_answer=same_seller_figures,
        ),
        Case(
            "team_call_data admin 30d",
            "/api/analytics/team_call_data",
            days,
            admin,
            TEAM_CALL_DATA_SQL,
            {
                "sellers": list(Seller.objects.filter(agency=agency).values_list("pk", flat=True)),
                "start": start,
                "end": end,
                "tz": agency.timezone,
                "agency": agency.pk,
            },
            note="per seller of the agency",
            same_answer=same_seller_figures,
        ),
        Case(
            "buyers/all p1",
            "/api/buyers/all",
            {"page": 1, "limit": 50},
            seller,
            BUYERS_ALL_SQL + " LIMIT 50",
            {"agency": agency.pk, "sellers": [seller.pk]},
            note="page 1 of 50",
            target=False,
        ),
        Case(
            "buyer call_history",
            f"/api/buyers/call_history/{busiest.pk}",
            {},
            admin,
            BUYER_CALL_HISTORY_SQL,
            {"buyer": busiest.pk, "phone": busiest.phone, "agency": agency.pk},
            note="busiest buyer",
            target=False,
        ),
    ]


def cpu_check_ms() -> float:
    """A fixed pure-Python workload, best of three: this shared machine's speed varies by up to
    ~1.7x from minute to minute, so each run prints it before and after its cases."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for value in range(1_000_000):
            total += value
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def time_endpoint(case: Case, *, warmup: int, requests: int) -> tuple[list[float], int]:
    client = APIClient()
    token = str(SellerRefreshToken.for_user(case.actor).access_token)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    samples: list[float] = []
    size = 0
    for run in range(warmup + requests):
        if case.before_each:
            case.before_each()
        started = time.perf_counter()
        response = client.get(case.path, case.params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{case.name}: HTTP {response.status_code} {response.content[:300]!r}")
        size = len(response.content)
        if run >= warmup:
            samples.append(elapsed)
    case.last_body = response.json() if case.same_answer else None
    return samples, size


def time_sql(case: Case, conn: psycopg.Connection, *, warmup: int, requests: int):
    samples: list[float] = []
    rows = 0
    for run in range(warmup + requests):
        started = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.execute(case.sql, case.sql_params)
            fetched = cursor.fetchall()
            rows = len(fetched)
        elapsed = (time.perf_counter() - started) * 1000
        if run >= warmup:
            samples.append(elapsed)
    case.last_rows = fetched
    return samples, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="case names (substring match)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")
    agency = Agency.objects.filter(name="Bench Agency").first()
    if agency is None:
        raise SystemExit("No bench data: run bench/generate_views_data.py first.")
    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )
    # As production does (persistent connections, issue 18's README): the figures are the
    # views', not a new PostgreSQL connection's per request (30-50 ms on this machine).
    connection.settings_dict["CONN_MAX_AGE"] = 600
    connection.close()
    cases = build_cases(agency)
    if args.only:
        cases = [case for case in cases if any(part in case.name for part in args.only)]

    cpu_before = cpu_check_ms()
    header = (
        f"{'case':<27} {'rows':>6} {'KiB':>6} {'api p50':>8} {'api p95':>8} "
        f"{'sql p50':>8} {'sql p95':>8} {'ratio':>6}  verdict   note"
    )
    print(header)
    print("-" * len(header))
    missed = 0
    # No throttling in the measured loop: the search limit is a per-user budget, not a cost.
    with mock.patch.dict(BuyerSearchThrottle.THROTTLE_RATES, {"buyer_search": "1000000/min"}):
        for case in cases:
            api, size = time_endpoint(case, warmup=args.warmup, requests=args.requests)
            sql, rows = time_sql(case, conn, warmup=args.warmup, requests=args.requests)
            api50, api95 = statistics.median(api), percentile(api, 0.95)
            sql50, sql95 = statistics.median(sql), percentile(sql, 0.95)
            ratio = api50 / sql50 if sql50 else float("inf")
            ok = api95 < P95_TARGET_MS and ratio <= RATIO_TARGET
            differs = None
            if case.same_answer:
                first_day = case.sql_params["start"].date()
                differs = case.same_answer(case.last_body, case.last_rows, first_day)
                ok = ok and differs is None
            verdict = ("ok" if ok else "MISS") if case.target else "(extra)"
            if differs:
                verdict = "WRONG"
                print(f"  {case.name}: the endpoint's figures differ from the SQL: {differs}")
            missed += case.target and not ok
            print(
                f"{case.name:<27} {rows:>6} {size / 1024:>6.0f} {api50:>8.1f} {api95:>8.1f} "
                f"{sql50:>8.1f} {sql95:>8.1f} {ratio:>6.2f}  {verdict:<8}  "
                f"{case.note}",
                flush=True,
            )
    print(
        f"\nCPU check (1,000,000-step Python loop, best of 3): {cpu_before:.0f} ms before, "
        f"{cpu_check_ms():.0f} ms after; compare runs only at similar values."
    )
    print(
        f"Times in ms over {args.requests} runs after {args.warmup} warm-up runs; "
        f"target: api p95 < {P95_TARGET_MS:.0f} ms and api p50 <= {RATIO_TARGET:.0f}x sql p50; "
        "(extra): reported, no target."
    )
    conn.close()
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
