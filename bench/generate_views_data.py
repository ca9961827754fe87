"""Load a large, deterministic data set for the app-view benchmark (PostgreSQL only).

One agency ("Bench Agency", Asia/Kolkata) with an admin and 50 sellers in 5 teams (each team: a
manager and 9 sellers), 20,000 buyers, 200,000 meetings over the last 365 days (each with a job;
the last 90 days' completed ones with a performance row), 200,000 app calls (half linked to a
meeting, half missed / rejected / not answered / unreconciled) and 400,000 actions (two per
meeting). Rows are written with PostgreSQL COPY in one transaction, then the tables are analysed.
Each buyer's stored last contact is moved up to its latest meeting, as the app does for every
new meeting.

Usage (on a migrated, empty database):
    DJANGO_SETTINGS_MODULE=chirpworks.settings.local DATABASE_URL=postgres://.../bench5 \
        .venv/bin/python bench/generate_views_data.py [--seed 5] [--scale 1.0]

Every login's password is ``bench-password``; emails are ``admin@bench.test``,
``manager1@bench.test`` .. ``manager5@bench.test``, ``seller1-1@bench.test`` .. ``seller5-9@...``.
"""

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.local")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import JSONField, Model  # noqa: E402

from actions.models import Action  # noqa: E402
from agencies.models import Agency, Buyer  # noqa: E402
from calls.models import MobileAppCall  # noqa: E402
from meetings.models import PERFORMANCE_METRICS, CallPerformance, Job, Meeting  # noqa: E402
from sellers.models import Seller  # noqa: E402

AGENCY_NAME = "Bench Agency"
TZ = ZoneInfo("Asia/Kolkata")
PASSWORD = "bench-password"  # noqa: S105
TEAMS = 5
SELLERS_PER_TEAM = 9
DAYS = 365
PERFORMANCE_DAYS = 90

FIRST = [
    "Aarav",
    "Vivaan",
    "Aditya",
    "Vihaan",
    "Arjun",
    "Sai",
    "Reyansh",
    "Ayaan",
    "Krishna",
    "Ishaan",
    "Diya",
    "Saanvi",
    "Ananya",
    "Aadhya",
    "Pari",
    "Anika",
    "Navya",
    "Myra",
    "Sara",
    "Kiara",
    "Rahul",
    "Priya",
    "Rohan",
    "Neha",
    "Vikram",
    "Pooja",
    "Karan",
    "Sneha",
    "Amit",
    "Kavya",
]
LAST = [
    "Sharma",
    "Verma",
    "Gupta",
    "Iyer",
    "Reddy",
    "Nair",
    "Patel",
    "Shah",
    "Mehta",
    "Joshi",
    "Rao",
    "Kumar",
    "Singh",
    "Das",
    "Bose",
    "Ghosh",
    "Menon",
    "Pillai",
    "Kapoor",
    "Malhotra",
    "Chopra",
    "Agarwal",
    "Banerjee",
    "Mukherjee",
    "Kulkarni",
    "Desai",
    "Jain",
    "Bhat",
    "Naidu",
    "Saxena",
]
COMPANY = [
    "Acme",
    "Zenith",
    "Sunrise",
    "Lotus",
    "Apex",
    "Orbit",
    "Nimbus",
    "Vertex",
    "Harbor",
    "Summit",
    "Cedar",
    "Falcon",
    "Indus",
    "Ganga",
    "Kaveri",
    "Everest",
    "Nova",
    "Prism",
    "Quantum",
    "Radiant",
]
SUFFIX = ["Traders", "Enterprises", "Industries", "Pvt Ltd", "Exports", "Solutions", "Retail"]
PRODUCTS = [("Solar Panel 5kW", "high"), ("Inverter X2", "medium"), ("Battery Pack", "low")]
SUMMARY = [
    "Buyer asked about delivery timelines for the next quarter.",
    "Discussed pricing for a bulk order and possible discounts.",
    "Seller explained installation and the warranty terms in detail.",
    "Buyer wants a follow-up call with the technical team next week.",
    "Concerns about the payment schedule were raised and partly resolved.",
]
ACTION_TITLES = [
    "Send the revised quotation",
    "Schedule a product demo",
    "Share the warranty document",
    "Follow up on the payment terms",
    "Call back with delivery dates",
]


class Rng(random.Random):
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.getrandbits(128), version=4)


def copy_rows(model: type[Model], rows, *, columns: list[str]) -> int:
    """COPY ``rows`` (tuples in ``columns`` order; other columns take the model's defaults)."""
    fields = [field for field in model._meta.concrete_fields]
    by_name = {field.attname: field for field in fields}
    missing = [field for field in fields if field.attname not in columns]
    defaults = []
    for field in missing:
        value = field.get_default()
        if isinstance(field, JSONField) and value is not None:
            value = json.dumps(value)
        defaults.append(value)
    names = [by_name[name].column for name in columns] + [field.column for field in missing]
    sql = f"COPY {model._meta.db_table} ({', '.join(names)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *defaults))
            count += 1
    return count


def local_moment(rng: Rng, day: date) -> datetime:
    """A working-hours moment (09:00-20:00 local) of ``day``."""
    seconds = rng.randrange(9 * 3600, 20 * 3600)
    return datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(seconds=seconds)


BUYERS_LAST_CONTACT_SQL = """
UPDATE agencies_buyer b SET last_contacted_at = latest.start_time,
                            last_contacted_by_id = latest.seller_id
FROM (SELECT DISTINCT ON (buyer_id) buyer_id, start_time, seller_id FROM meetings_meeting
      ORDER BY buyer_id, start_time DESC) latest
WHERE latest.buyer_id = b.id
  AND (b.last_contacted_at IS NULL OR b.last_contacted_at < latest.start_time)
"""


def generate(*, seed: int, scale: float) -> dict[str, int]:
    rng = Rng(seed)
    now = datetime.now(TZ)
    today = now.date()
    n_buyers = int(20_000 * scale)
    n_meetings = int(200_000 * scale)
    n_unlinked_calls = int(100_000 * scale)

    if Agency.objects.filter(name__iexact=AGENCY_NAME).exists():
        raise SystemExit(f"{AGENCY_NAME} already exists: load into a fresh database.")
    agency = Agency.objects.create(name=AGENCY_NAME, timezone="Asia/Kolkata")
    password = make_password(PASSWORD)

    sellers: list[Seller] = [
        Seller(
            id=rng.uuid(),
            email="admin@bench.test",
            name="Bench Admin",
            phone="+919000000000",
            role="admin",
            agency=agency,
            password=password,
        )
    ]
    callers: list[Seller] = []  # everyone who makes calls: managers and sellers
    for team in range(1, TEAMS + 1):
        manager = Seller(
            id=rng.uuid(),
            email=f"manager{team}@bench.test",
            name=f"Manager {team} {rng.choice(LAST)}",
            phone=f"+9190000{team:02d}000",
            role="manager",
            agency=agency,
            password=password,
        )
        sellers.append(manager)
        callers.append(manager)
        for member in range(1, SELLERS_PER_TEAM + 1):
            seller = Seller(
                id=rng.uuid(),
                email=f"seller{team}-{member}@bench.test",
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                phone=f"+9190000{team:02d}{member:03d}",
                role="user",
                agency=agency,
                manager=manager,
                password=password,
            )
            sellers.append(seller)
            callers.append(seller)
    Seller.objects.bulk_create(sellers)

    stamp = now
    buyer_ids: list[uuid.UUID] = []
    buyer_phones: list[str] = []

    def buyer_rows():
        for index in range(n_buyers):
            buyer_id = rng.uuid()
            phone = f"+91{9800000000 + index * 7919 % 200_000_000:010d}"
            buyer_ids.append(buyer_id)
            buyer_phones.append(phone)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            named = rng.random() < 0.85
            company = f"{rng.choice(COMPANY)} {rng.choice(SUFFIX)}" if rng.random() < 0.7 else ""
            email = f"{first}.{last}{index}@example.com".lower() if rng.random() < 0.6 else ""
            contacted = now - timedelta(days=rng.randrange(DAYS)) if rng.random() < 0.3 else None
            products = json.dumps(
                [{"product_name": name, "interest_level": level} for name, level in PRODUCTS[:2]]
                if rng.random() < 0.3
                else []
            )
            yield (
                buyer_id,
                stamp,
                stamp,
                agency.pk,
                phone,
                f"{first} {last}" if named else "",
                email,
                company,
                products,
                contacted,
            )

    counts = {}
    started = time.perf_counter()
    counts["buyers"] = copy_rows(
        Buyer,
        buyer_rows(),
        columns=[
            "id",
            "created_at",
            "updated_at",
            "agency_id",
            "phone",
            "name",
            "email",
            "company_name",
            "products_discussed",
            "last_contacted_at",
        ],
    )

    # Each caller mostly calls their own book of buyers, sometimes anyone's.
    book_size = max(1, n_buyers // len(callers))

    def pick_buyer(caller_index: int) -> int:
        if rng.random() < 0.9:
            return caller_index * book_size + rng.randrange(book_size)
        return rng.randrange(n_buyers)

    meetings: list[tuple] = []  # (id, caller index, buyer index, start, end, direction)
    for _ in range(n_meetings):
        caller = rng.randrange(len(callers))
        start = local_moment(rng, today - timedelta(days=rng.randrange(DAYS)))
        if start > now:
            start -= timedelta(days=1)
        seconds = 0 if rng.random() < 0.05 else int(rng.lognormvariate(5.0, 1.0)) + 5
        meetings.append(
            (
                rng.uuid(),
                caller,
                pick_buyer(caller),
                start,
                start + timedelta(seconds=min(seconds, 3 * 3600)),
                "outgoing" if rng.random() < 0.7 else "incoming",
            )
        )
    meetings.sort(key=lambda meeting: meeting[3])

    def meeting_rows():
        for meeting_id, caller, buyer, start, end, direction in meetings:
            seller = callers[caller]
            products = "[]"
            if rng.random() < 0.5:
                name, level = rng.choice(PRODUCTS)
                products = json.dumps([{"product_name": name, "interest_level": level}])
            summary = json.dumps(rng.sample(SUMMARY, 3))
            yield (
                meeting_id,
                start,
                start,
                agency.pk,
                seller.pk,
                buyer_ids[buyer],
                "phone",
                direction,
                start,
                end,
                f"Meeting between +91 {buyer_phones[buyer][-10:]} and {seller.name}",
                summary,
                products,
            )

    counts["meetings"] = copy_rows(
        Meeting,
        meeting_rows(),
        columns=[
            "id",
            "created_at",
            "updated_at",
            "agency_id",
            "seller_id",
            "buyer_id",
            "source",
            "direction",
            "start_time",
            "end_time",
            "title",
            "summary",
            "detected_products",
        ],
    )

    # As the app does for every new meeting (meetings.contacts): a buyer's stored last contact
    # is never before its latest meeting.
    with connection.cursor() as cursor:
        cursor.execute(BUYERS_LAST_CONTACT_SQL)

    recent = now - timedelta(days=1)
    job_status: list[str] = []

    def job_rows():
        for meeting_id, _, _, start, end, _ in meetings:
            roll = rng.random()
            if start > recent and roll < 0.3:
                status = "in_progress" if roll < 0.15 else "init"
            else:
                status = "failure" if roll < 0.05 else "completed"
            job_status.append(status)
            finished = end + timedelta(minutes=3) if status in ("completed", "failure") else None
            yield (rng.uuid(), start, start, meeting_id, status, 1, end, finished)

    counts["jobs"] = copy_rows(
        Job,
        job_rows(),
        columns=[
            "id",
            "created_at",
            "updated_at",
            "meeting_id",
            "status",
            "attempts",
            "started_at",
            "finished_at",
        ],
    )

    performance_since = now - timedelta(days=PERFORMANCE_DAYS)

    def metric() -> str:
        return json.dumps({"score": rng.randrange(3, 11), "reason": "Clear and on point."})

    def performance_rows():
        for (meeting_id, _, _, start, end, _), status in zip(meetings, job_status, strict=True):
            if status != "completed" or start < performance_since:
                continue
            stamp = end + timedelta(minutes=3)
            yield (
                rng.uuid(),
                stamp,
                stamp,
                meeting_id,
                *(metric() for _ in PERFORMANCE_METRICS),
                round(rng.uniform(3, 10), 2),
                stamp,
                json.dumps({"summary": "Solid call with a clear next step."}),
            )

    counts["performances"] = copy_rows(
        CallPerformance,
        performance_rows(),
        columns=[
            "id",
            "created_at",
            "updated_at",
            "meeting_id",
            *PERFORMANCE_METRICS,
            "overall_score",
            "analyzed_at",
            "overall_performance_summary",
        ],
    )

    call_counter = [0] * len(callers)

    def app_call_id(caller: int) -> str:
        call_counter[caller] += 1
        return f"bench-{caller}-{call_counter[caller]}"

    def app_call_rows():
        # Half the app calls are answered calls already turned into their meeting.
        for meeting_id, caller, buyer, start, end, direction in meetings[::2]:
            seller = callers[caller]
            seconds = int((end - start).total_seconds())
            yield (
                rng.uuid(),
                start,
                start,
                seller.pk,
                app_call_id(caller),
                buyer_phones[buyer],
                seller.phone,
                direction,
                start,
                end,
                seconds,
                "Processing",
                meeting_id,
                start + timedelta(minutes=2),
            )
        for _ in range(n_unlinked_calls):
            caller = rng.randrange(len(callers))
            seller = callers[caller]
            start = local_moment(rng, today - timedelta(days=rng.randrange(DAYS)))
            if start > now:
                start -= timedelta(days=1)
            roll = rng.random()
            if roll < 0.3:
                status, call_type, seconds = "Missed", "missed", 0
            elif roll < 0.4:
                status, call_type, seconds = "Rejected", "rejected", 0
            elif roll < 0.8:
                status, call_type, seconds = "Not Answered", "outgoing", 0
            else:
                status = "Processing"
                call_type = "outgoing" if rng.random() < 0.7 else "incoming"
                seconds = int(rng.lognormvariate(4.5, 1.0)) + 5
            number = (
                buyer_phones[pick_buyer(caller)]
                if rng.random() < 0.8
                else f"+91{rng.randrange(7000000000, 7999999999)}"
            )
            yield (
                rng.uuid(),
                start,
                start,
                seller.pk,
                app_call_id(caller),
                number,
                seller.phone,
                call_type,
                start,
                start + timedelta(seconds=seconds),
                seconds,
                status,
                None,
                None,
            )

    counts["app_calls"] = copy_rows(
        MobileAppCall,
        app_call_rows(),
        columns=[
            "id",
            "created_at",
            "updated_at",
            "seller_id",
            "app_call_id",
            "buyer_number",
            "seller_number",
            "call_type",
            "start_time",
            "end_time",
            "duration",
            "status",
            "meeting_id",
            "reconciled_at",
        ],
    )

    def action_rows():
        for meeting_id, caller, buyer, _start, end, _ in meetings:
            seller = callers[caller]
            for kind in ("action", "suggested_action"):
                due = (
                    end + timedelta(days=rng.randrange(1, 15), hours=rng.randrange(24))
                    if rng.random() < 0.8
                    else None
                )
                done = due is not None and due < now and rng.random() < 0.8
                title = rng.choice(ACTION_TITLES)
                created = end + timedelta(minutes=4)
                yield (
                    rng.uuid(),
                    created,
                    created,
                    meeting_id,
                    seller.pk,
                    buyer_ids[buyer],
                    title,
                    json.dumps({"text": f"{title} as agreed on the call."}),
                    due,
                    "completed" if done else "pending",
                    kind,
                    "The buyer asked for it." if kind == "suggested_action" else "",
                    json.dumps(["buyer_request"] if kind == "suggested_action" else []),
                )

    counts["actions"] = copy_rows(
        Action,
        action_rows(),
        columns=[
            "id",
            "created_at",
            "updated_at",
            "meeting_id",
            "seller_id",
            "buyer_id",
            "title",
            "description",
            "due_date",
            "status",
            "type",
            "reasoning",
            "signals",
        ],
    )
    counts["seconds"] = round(time.perf_counter() - started)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: the full-size data set")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The generator writes with COPY: point DATABASE_URL at PostgreSQL.")
    started = time.perf_counter()
    with transaction.atomic():
        counts = generate(seed=args.seed, scale=args.scale)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    counts["total_seconds"] = round(time.perf_counter() - started)
    print(" ".join(f"{name}={value}" for name, value in counts.items()))


if __name__ == "__main__":
    main()
