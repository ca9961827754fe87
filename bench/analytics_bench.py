"""Analytics flat in the data: total_call_data and team_call_data (30 days) at 1,000 and 5,000
meetings, in one run, requests interleaved; and the figures against the call-by-call statement.

Two agencies in one PostgreSQL database (re-created: ``--database``, default
``wt_scale_analytics``), each an admin, a manager and 9 sellers, 2,000 buyers, N meetings in the
last 30 days and N/2 app calls (missed, not answered, answered but unreconciled, and twins of
meetings); the daily rollups are built with ``rollups_rebuild`` as after a deploy. Requests go
through Django's test client in-process (routing, JWT, view, JSON). Target: time(5,000) /
time(1,000) <= 1.3 for each view.

Usage: .venv/bin/python bench/analytics_bench.py [--requests 40] [--sizes 1000 5000]
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--requests", type=int, default=40)
parser.add_argument("--warmup", type=int, default=5)
parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
parser.add_argument("--database", default="wt_scale_analytics")
parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
args = parser.parse_args()

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "chirpworks.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"{args.pg}/{args.database}",
    }
)
import psycopg  # noqa: E402

with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin_conn:
    admin_conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    admin_conn.execute(f'CREATE DATABASE "{args.database}"')

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.db.models.functions import TruncDate  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from agencies.models import Agency, Buyer  # noqa: E402
from calls.models import AppCallStatus, MobileAppCall  # noqa: E402
from chirpworks.timeframes import DateRange, local_today  # noqa: E402
from meetings.models import Meeting  # noqa: E402
from rollups import analytics  # noqa: E402
from rollups.services import rollups_rebuild  # noqa: E402
from sellers.access_selectors import SellerScope  # noqa: E402
from sellers.models import Role, Seller  # noqa: E402
from sellers.tokens import SellerRefreshToken  # noqa: E402

RATIO_TARGET = 1.3


def seed(size: int, rng: random.Random) -> Seller:
    agency = Agency.objects.create(name=f"Analytics {size}")
    tz = agency.tzinfo
    admin = Seller.objects.create(
        email=f"admin{size}@bench.test",
        name="Admin",
        phone=f"+9170{size:05d}000",
        role=Role.ADMIN,
        agency=agency,
    )
    manager = Seller.objects.create(
        email=f"manager{size}@bench.test",
        name="Manager",
        phone=f"+9170{size:05d}001",
        role=Role.MANAGER,
        agency=agency,
    )
    sellers = [
        Seller.objects.create(
            email=f"s{n}-{size}@bench.test",
            name=f"Seller {n}",
            phone=f"+9170{size:05d}1{n:02d}",
            role=Role.USER,
            agency=agency,
            manager=manager,
        )
        for n in range(9)
    ]
    buyers = Buyer.objects.bulk_create(
        [Buyer(agency=agency, phone=f"+9188{size:05d}{n:04d}", name=f"B{n}") for n in range(2000)]
    )
    today = local_today(tz)
    now = django.utils.timezone.now()
    first = now - timedelta(days=29)
    meetings = []
    for n in range(size):
        start = first + timedelta(seconds=rng.randrange(int((now - first).total_seconds())))
        seller = rng.choice(sellers)
        meetings.append(
            Meeting(
                agency=agency,
                seller=seller,
                buyer=rng.choice(buyers),
                start_time=start,
                end_time=start + timedelta(seconds=rng.randrange(30, 900)),
                direction=rng.choice(["outgoing", "outgoing", "incoming"]),
                title=f"M{n}",
            )
        )
    Meeting.objects.bulk_create(meetings, batch_size=2000)
    apps = []
    for n in range(size // 2):
        kind = n % 4
        if kind == 3:  # a meeting's twin, 2 s apart
            meeting = meetings[n % len(meetings)]
            seller, start, phone = (
                meeting.seller,
                meeting.start_time + timedelta(seconds=2),
                (meeting.buyer.phone),
            )
            status, call_type = AppCallStatus.PROCESSING, "outgoing"
        else:
            seller = rng.choice(sellers)
            start = first + timedelta(seconds=rng.randrange(int((now - first).total_seconds())))
            phone = rng.choice(buyers).phone
            status, call_type = [
                (AppCallStatus.MISSED, "incoming"),
                (AppCallStatus.NOT_ANSWERED, "outgoing"),
                (AppCallStatus.PROCESSING, "incoming"),
            ][kind]
        apps.append(
            MobileAppCall(
                seller=seller,
                app_call_id=f"a{n}",
                buyer_number=phone,
                seller_number=seller.phone,
                call_type=call_type,
                start_time=start,
                end_time=start + timedelta(seconds=40),
                duration=40 if status == AppCallStatus.PROCESSING else 0,
                status=status,
            )
        )
    MobileAppCall.objects.bulk_create(apps, batch_size=2000)
    rollups_rebuild(start_day=today - timedelta(days=31), end_day=today, agency_id=agency.pk)
    return admin


def reference_matches(admin: Seller, date_range: DateRange) -> bool:
    """The rollup answers equal the call-by-call statement's (series by day, and per seller)."""
    everyone = SellerScope(
        agency_id=admin.agency_id,
        seller_ids=frozenset(
            Seller.objects.filter(agency=admin.agency).values_list("pk", flat=True)
        ),
    )
    for scope in (everyone, analytics._without_managers(everyone)):
        key = TruncDate("start_time", tzinfo=date_range.tz)
        by_day, total = analytics._call_totals(
            scope=scope, date_range=date_range, key=key, with_total=True
        )
        rollup_days, rollup_total = analytics._rollup_counts(
            scope=scope, date_range=date_range, by="day"
        )
        if rollup_total != total or rollup_days != by_day:
            return False
        by_seller, _ = analytics._call_totals(
            scope=scope, date_range=date_range, key=F("seller_id"), with_total=False
        )
        if analytics.call_counts_by_seller(scope=scope, date_range=date_range) != by_seller:
            return False
    return True


def main() -> None:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    # As production does (persistent connections, issue 18's README): the figures are the
    # views', not a new PostgreSQL connection's per request (30-50 ms on this machine).
    connection.settings_dict["CONN_MAX_AGE"] = 600
    connection.close()
    rng = random.Random(18)  # noqa: S311 - reproducible data, not secrets
    admins = {size: seed(size, rng) for size in args.sizes}
    print(f"seeded {args.sizes} in {time.perf_counter() - started:.0f} s", flush=True)
    clients = {}
    for size, admin in admins.items():
        client = APIClient()
        token = SellerRefreshToken.for_user(admin).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        clients[size] = client
    tz = admins[args.sizes[0]].agency.tzinfo
    today = local_today(tz)
    params = {"start_date": (today - timedelta(days=29)).isoformat(), "end_date": today.isoformat()}
    date_range = DateRange(today - timedelta(days=29), today, tz)
    paths = ["/api/analytics/total_call_data", "/api/analytics/team_call_data"]
    samples = {(path, size): [] for path in paths for size in args.sizes}
    for run in range(args.warmup + args.requests):
        for path in paths:
            for size in args.sizes:  # interleaved: the machine's speed moves all sizes alike
                began = time.perf_counter()
                response = clients[size].get(path, params)
                elapsed = (time.perf_counter() - began) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {response.status_code}")
                if run >= args.warmup:
                    samples[(path, size)].append(elapsed)
    small, large = args.sizes[0], args.sizes[-1]
    print(f"{'view':<34} " + " ".join(f"{f'p50 @{s}':>11}" for s in args.sizes) + "   ratio")
    missed = False
    for path in paths:
        medians = [statistics.median(samples[(path, size)]) for size in args.sizes]
        ratio = medians[-1] / medians[0]
        missed |= ratio > RATIO_TARGET
        print(
            f"{path:<34} "
            + " ".join(f"{m:>8.1f} ms" for m in medians)
            + f"   {ratio:.2f} ({large}/{small}) {'ok' if ratio <= RATIO_TARGET else 'MISS'}"
        )
    same = all(reference_matches(admins[size], date_range) for size in args.sizes)
    print(f"rollup figures equal the call-by-call statement's: {'yes' if same else 'NO'}")
    sys.exit(0 if same and not missed else 1)


if __name__ == "__main__":
    main()
