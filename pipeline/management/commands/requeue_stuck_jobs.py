from django.conf import settings
from django.core.management.base import BaseCommand

from meetings.job_selectors import jobs_stuck
from meetings.job_services import job_requeue_stuck


class Command(BaseCommand):
    help = (
        "Hand back jobs stuck in progress past JOB_STUCK_AFTER (their worker died) and queue them "
        "again; jobs that used up JOB_MAX_ATTEMPTS fail instead. Celery beat runs this too."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            stuck = list(jobs_stuck().values_list("pk", "attempts"))
            exhausted = sum(1 for _, attempts in stuck if attempts >= settings.JOB_MAX_ATTEMPTS)
            for pk, attempts in stuck:
                self.stdout.write(f"  {pk} (attempts: {attempts})")
            self.stdout.write(
                f"Would re-queue {len(stuck) - exhausted} stuck jobs and fail {exhausted} that "
                "used up their attempts."
            )
            return
        requeued = job_requeue_stuck()
        self.stdout.write(f"Re-queued {len(requeued)} stuck jobs.")
