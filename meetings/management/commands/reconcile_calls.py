from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from calls.services import calls_cleanup_unmatched
from chirpworks.exceptions import ApplicationError
from chirpworks.timeframes import since_parse
from meetings.reconciliation.services import calls_reconcile


class Command(BaseCommand):
    help = (
        "Match Exotel calls with app calls and create their meetings, then delete unmatched "
        "calls older than the retention window."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", help="Only calls that started since: 7d, 12h, this_week or a date"
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing")
        parser.add_argument(
            "--retention-days",
            type=int,
            default=settings.CALL_UNMATCHED_RETENTION_DAYS,
            help="Delete unmatched calls older than this (default: %(default)s)",
        )
        parser.add_argument("--no-cleanup", action="store_true", help="Skip the cleanup")

    def handle(self, *args, since=None, dry_run=False, retention_days=30, no_cleanup=False, **kw):
        try:
            since_at = since_parse(since) if since else None
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="seller", file=self.stderr, disable=total == 0)
            bar.update(done - bar.n)

        result = calls_reconcile(since=since_at, dry_run=dry_run, progress=progress)
        if bar is not None:
            bar.close()
        cleanup = None
        if not no_cleanup:
            cleanup = calls_cleanup_unmatched(
                older_than=timezone.now() - timedelta(days=retention_days), dry_run=dry_run
            )
        verb = "would create" if dry_run else "created"
        summary = (
            f"{'[dry run] ' if dry_run else ''}{result.sellers} sellers: {verb} "
            f"{result.meetings} meetings ({result.matched} matched, {result.app_only} app-only, "
            f"{result.exotel_only} Exotel-only), {result.late_recordings} late recordings, "
            f"{result.skipped} skipped"
        )
        if cleanup is not None:
            delete = "would delete" if dry_run else "deleted"
            summary += (
                f"; {delete} {cleanup.app_calls} app calls and {cleanup.exotel_calls} Exotel "
                f"calls unmatched for over {retention_days} days"
            )
        self.stdout.write(summary)
