"""Scale-out drill: two Celery workers on Redis and PostgreSQL share processing and reconciliation.

What it does (bounded by ``--timeout``):
1. re-creates the PostgreSQL database ``--database`` (default ``wt_scale_drill``), migrates it and
   empties the Redis database of ``--redis`` (default db 9);
2. starts ``--workers`` Celery workers (one process each, ``celery -A chirpworks worker -c 1``);
3. queues ``--jobs`` processing jobs (the recordings of ``demo/recordings``, repeated) and
   ``--candidates`` reconciliation candidates (answered app calls and their Exotel twins, half and
   half, over 50 sellers; every seller's reconcile task is queued twice, as a retried sync would);
4. acts as Celery beat meanwhile (every ``--beat`` seconds: hand back stuck jobs, reconcile all);
5. with ``--kill``: SIGKILLs one worker (its whole process group) once a third of the jobs are
   done, and starts a replacement, as an orchestrator would;
6. checks: every job completed, each exactly once (one "completed" log line per job across all
   workers); every candidate reconciled; no duplicate meetings, actions or performance rows;
   and prints throughput in calls per minute per worker.

Usage:
    .venv/bin/python bench/scaleout_drill.py [--jobs 200] [--candidates 5000] [--kill]
Exit status 1 if a check fails or the drill times out.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--jobs", type=int, default=200)
parser.add_argument("--candidates", type=int, default=5000)
parser.add_argument("--sellers", type=int, default=50)
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--kill", action="store_true", help="SIGKILL a worker mid-run")
parser.add_argument("--timeout", type=int, default=1500, help="seconds for the whole drill")
parser.add_argument("--beat", type=int, default=20, help="seconds between beat rounds")
parser.add_argument("--database", default="wt_scale_drill")
parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
args = parser.parse_args()

RUN_DIR = ROOT / "var" / "drill"
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "chirpworks.settings.local",
    "DJANGO_DEBUG": "false",
    "DATABASE_URL": f"{args.pg}/{args.database}",
    "REDIS_URL": args.redis,
    "CELERY_BROKER_URL": args.redis,
    "MEDIA_ROOT": str(RUN_DIR / "media"),
    "JOB_STUCK_AFTER": "40",  # a killed worker's job is handed back after 40 s, not 20 min
    "LOG_LEVEL": "INFO",
}
os.environ.update(ENV)

import psycopg  # noqa: E402


def recreate_database() -> None:
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')


recreate_database()
shutil.rmtree(RUN_DIR, ignore_errors=True)
(RUN_DIR / "media").mkdir(parents=True)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from actions.models import Action  # noqa: E402
from agencies.models import Agency, Buyer  # noqa: E402
from calls.models import (  # noqa: E402
    AppCallStatus,
    CallType,
    ExotelCall,
    ExotelStatus,
    MobileAppCall,
    RecordingStatus,
)
from meetings.job_services import job_requeue_stuck  # noqa: E402
from meetings.models import CallPerformance, Job, JobStatus, Meeting  # noqa: E402
from meetings.reconciliation.tasks import reconcile_calls  # noqa: E402
from meetings.services import CallMeetingSpec, meetings_create_for_calls  # noqa: E402
from sellers.models import Role, Seller  # noqa: E402

COMPLETED_LINE = re.compile(r"Job ([0-9a-f-]{36}) completed")


class Worker:
    def __init__(self, name: str):
        self.name = name
        self.log_path = RUN_DIR / f"{name}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter's celery
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "chirpworks",
                "worker",
                "-c",
                "1",
                "-n",
                f"{name}@%h",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=ENV,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes its child too
        )

    def ready(self) -> bool:
        return "ready." in self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def completed_jobs(self) -> list[str]:
        return COMPLETED_LINE.findall(self.log_path.read_text(errors="replace"))


def seed() -> tuple[list[str], int]:
    """Sellers, recordings, and the reconciliation candidates (not yet queued)."""
    agency = Agency.objects.create(name="Drill Agency")
    sellers = [
        Seller.objects.create(
            email=f"seller{n}@drill.test",
            name=f"Seller {n}",
            phone=f"+9190000{n:05d}",
            role=Role.USER,
            agency=agency,
        )
        for n in range(args.sellers)
    ]
    names = []
    for path in sorted((ROOT / "demo" / "recordings").glob("*")):
        if path.suffix in {".ogg", ".mp3", ".wav"}:
            names.append(
                default_storage.save(
                    f"recordings/drill/{path.name}", ContentFile(path.read_bytes())
                )
            )
    now = timezone.now()
    pairs = args.candidates // 2
    apps, exotels = [], []
    for n in range(pairs):
        seller = sellers[n % len(sellers)]
        start = now - timedelta(hours=30) + timedelta(minutes=3 * (n // len(sellers)))
        buyer = f"+9181{n % 2000:08d}"
        apps.append(
            MobileAppCall(
                seller=seller,
                app_call_id=f"drill-{n}",
                buyer_number=buyer,
                seller_number=seller.phone,
                call_type=CallType.OUTGOING,
                start_time=start,
                end_time=start + timedelta(seconds=75),
                duration=75,
                status=AppCallStatus.PROCESSING,
            )
        )
        exotels.append(
            ExotelCall(
                call_sid=f"drill-sid-{n}",
                agency=agency,
                seller=seller,
                from_number=seller.phone,
                to_number=buyer,
                buyer_number=buyer,
                direction="outbound-api",
                status=ExotelStatus.COMPLETED,
                start_time=start + timedelta(seconds=n % 7),
                end_time=start + timedelta(seconds=75 + n % 5),
                duration=75,
                recording_status=RecordingStatus.NONE,
            )
        )
    MobileAppCall.objects.bulk_create(apps, batch_size=2000)
    ExotelCall.objects.bulk_create(exotels, batch_size=2000)
    return [str(s.pk) for s in sellers], names


def queue_work(seller_ids: list[str], recordings: list[str]) -> list[str]:
    """The reconcile tasks (twice per seller), then the processing jobs (on commit)."""
    for seller_id in seller_ids * 2:
        reconcile_calls.delay(seller_id)
    sellers = list(Seller.objects.filter(pk__in=seller_ids).select_related("agency"))
    buyers = Buyer.objects.bulk_create(
        [
            Buyer(agency=sellers[0].agency, phone=f"+9182{n:08d}", name=f"Buyer {n}")
            for n in range(args.jobs)
        ]
    )
    now = timezone.now()
    specs = [
        CallMeetingSpec(
            seller=sellers[n % len(sellers)],
            buyer=buyers[n],
            direction="outgoing",
            start_time=now - timedelta(hours=2, minutes=n),
            end_time=now - timedelta(hours=2, minutes=n) + timedelta(seconds=30),
            recording_name=recordings[n % len(recordings)],
        )
        for n in range(args.jobs)
    ]
    with transaction.atomic():
        meetings = meetings_create_for_calls(specs=specs)
    return [
        str(job) for job in Job.objects.filter(meeting__in=meetings).values_list("pk", flat=True)
    ]


def duplicates(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return len(cursor.fetchall())


def main() -> int:
    started_at = time.monotonic()
    deadline = started_at + args.timeout
    call_command("migrate", verbosity=0)
    redis.Redis.from_url(args.redis).flushdb()
    seller_ids, recordings = seed()
    print(
        f"seeded: {args.sellers} sellers, {args.candidates} candidates, "
        f"{len(recordings)} recordings",
        flush=True,
    )
    workers = [Worker(f"drill{n + 1}") for n in range(args.workers)]
    while not all(w.ready() for w in workers):
        if time.monotonic() > deadline or any(w.process.poll() is not None for w in workers):
            print("workers did not start; see var/drill/*.log")
            return 1
        time.sleep(1)
    print(f"{len(workers)} workers ready after {time.monotonic() - started_at:.0f} s", flush=True)

    queued_at = time.monotonic()
    job_ids = queue_work(seller_ids, recordings)
    killed = None
    reconciled_at = None
    last_beat = time.monotonic()
    status: Counter = Counter()
    while time.monotonic() < deadline:
        time.sleep(3)
        status = Counter(Job.objects.filter(pk__in=job_ids).values_list("status", flat=True))
        open_candidates = (
            MobileAppCall.objects.filter(
                meeting__isnull=True, status=AppCallStatus.PROCESSING
            ).count()
            + ExotelCall.objects.filter(meeting__isnull=True).count()
        )
        if reconciled_at is None and open_candidates == 0:
            reconciled_at = time.monotonic()
        finished = status[JobStatus.COMPLETED] + status[JobStatus.FAILURE]
        if args.kill and killed is None and status[JobStatus.COMPLETED] >= len(job_ids) // 3:
            victim = workers[0]
            victim.kill()
            killed = (victim.name, time.monotonic() - queued_at, status[JobStatus.IN_PROGRESS])
            print(f"SIGKILL {victim.name} at {killed[1]:.0f} s", flush=True)
            workers.append(Worker(f"drill{len(workers) + 1}"))  # the orchestrator's restart
        if time.monotonic() - last_beat >= args.beat:  # what Celery beat would do
            job_requeue_stuck()
            reconcile_calls.delay()
            last_beat = time.monotonic()
        print(
            f"{time.monotonic() - queued_at:6.0f} s  jobs {dict(status)}  "
            f"open candidates {open_candidates}",
            flush=True,
        )
        if finished == len(job_ids) and reconciled_at is not None:
            break
    elapsed = time.monotonic() - queued_at
    for worker in workers:
        worker.stop()

    completions = Counter(job for worker in workers for job in worker.completed_jobs())
    per_worker = {w.name: len(w.completed_jobs()) for w in workers}
    checks = {
        "every job completed": status[JobStatus.COMPLETED] == len(job_ids),
        "each job completed exactly once (worker logs)": set(completions) == set(job_ids)
        and all(n == 1 for n in completions.values()),
        "every candidate reconciled": reconciled_at is not None,
        "meetings: one per call": Job.objects.count() == len(job_ids) + args.candidates // 2
        and duplicates(
            "SELECT seller_id, start_time FROM meetings_meeting GROUP BY 1, 2 HAVING count(*) > 1"
        )
        == 0,
        "each app / Exotel call in one meeting": duplicates(
            "SELECT meeting_id FROM calls_mobileappcall WHERE meeting_id IS NOT NULL "
            "GROUP BY 1 HAVING count(*) > 1 UNION ALL SELECT meeting_id FROM calls_exotelcall "
            "WHERE meeting_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1"
        )
        == 0,
        "no duplicate actions": duplicates(
            "SELECT meeting_id, type, lower(title) FROM actions_action GROUP BY 1, 2, 3 "
            "HAVING count(*) > 1"
        )
        == 0,
        "one performance row per processed meeting": duplicates(
            "SELECT meeting_id FROM meetings_callperformance GROUP BY 1 HAVING count(*) > 1"
        )
        == 0,
    }
    jobs_minutes = elapsed / 60
    print()
    print(
        f"drill: {len(job_ids)} jobs, {args.candidates} candidates, {args.workers} workers"
        + (
            f", {killed[0]} SIGKILLed at {killed[1]:.0f} s with {killed[2]} job(s) in progress"
            if killed
            else ""
        )
    )
    print(f"  all jobs done in {elapsed:.0f} s; per worker: {per_worker}")
    print(
        f"  processing throughput: {len(job_ids) / jobs_minutes / args.workers:.1f} calls/min "
        f"per worker ({len(job_ids) / jobs_minutes:.1f} calls/min in all)"
    )
    if reconciled_at is not None:
        minutes = (reconciled_at - queued_at) / 60
        print(
            f"  reconciliation: {args.candidates} candidates in {reconciled_at - queued_at:.0f} s "
            f"(behind the queue's jobs; {args.candidates / minutes / args.workers:.0f} "
            "candidates/min per worker at most)"
        )
    print(
        f"  actions {Action.objects.count()}, performance rows "
        f"{CallPerformance.objects.count()}, meetings {Meeting.objects.count()}"
    )
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if time.monotonic() >= deadline:
        print(f"  FAIL timed out after {args.timeout} s")
        return 1
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
