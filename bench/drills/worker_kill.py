"""Worker-kill drill (issue 17 #8): a Celery worker on Redis is killed with SIGKILL mid-job, and the
job must be taken over through its lease within minutes, then complete once.

    .venv/bin/python bench/drills/worker_kill.py [--lease 20] [--timeout 300]

Starts a real worker process (prefork, one child) on Redis db 5 and PostgreSQL, queues a job with
a demo recording, waits until the job is in progress, kills the worker's whole process group with
SIGKILL, starts a second worker, and runs the beat sweep (``job_requeue_stuck``) every few seconds
as beat would. Prints the figures; exits 1 if the job did not complete within the timeout.
Logs of both workers go to var/drills/ for the log scan.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common


def start_worker(env: dict, name: str) -> subprocess.Popen:
    log = open(_common.LOG_DIR / f"worker-kill-{name}.log", "w")  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603
        [
            str(_common.ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "chirpworks",
            "worker",
            "-c",
            "1",
            "-n",
            f"{name}@drill",
            "-l",
            "info",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=_common.ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL takes the children too
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(predicate, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lease", type=int, default=20, help="JOB_LEASE_SECONDS for the drill")
    parser.add_argument("--timeout", type=float, default=300, help="give up after (s)")
    args = parser.parse_args()
    env = _common.setup(JOB_LEASE_SECONDS=str(args.lease), OUTBOX_UNSENT_GRACE="5")

    from django.utils import timezone

    from chirpworks.celery import app
    from meetings.job_services import job_requeue_stuck, jobs_enqueue
    from meetings.models import Job, JobStatus

    app.control.purge()
    job = _common.demo_job()
    first = start_worker(env, "first")
    second = None
    try:
        jobs_enqueue(job_ids=[str(job.pk)])
        started = time.monotonic()
        in_progress = wait_for(
            lambda: Job.objects.filter(pk=job.pk, status=JobStatus.IN_PROGRESS).exists(),
            timeout=args.timeout,
        )
        if not in_progress:
            print("the first worker never claimed the job")
            return 1
        claimed_after = time.monotonic() - started
        stop(first, signal.SIGKILL)
        killed_at = time.monotonic()
        job.refresh_from_db()
        lease_left = (job.lease_expires_at - timezone.now()).total_seconds()
        second = start_worker(env, "second")

        def completed():
            job_requeue_stuck()  # what beat runs every JOB_SWEEP_EVERY_SECONDS
            job.refresh_from_db()
            return job.status in (JobStatus.COMPLETED, JobStatus.FAILURE)

        done = wait_for(completed, timeout=args.timeout, every=3)
        recovered_after = time.monotonic() - killed_at
        job.refresh_from_db()
        print(f"worker-kill drill: lease {args.lease}s")
        print(f"  claimed after       {claimed_after:6.1f} s")
        print(f"  lease left at kill  {lease_left:6.1f} s")
        print(f"  recovered after     {recovered_after:6.1f} s (kill -> {job.status})")
        print(f"  attempts            {job.attempts}")
        print(f"  error               {job.error or '-'}")
        ok = bool(done) and job.status == JobStatus.COMPLETED and job.attempts == 2
        print("  result              " + ("PASS" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second)


if __name__ == "__main__":
    sys.exit(main())
