from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from calls.services import calls_cleanup_unmatched


class Command(BaseCommand):
    help = (
        "Delete call records that never became a meeting and are older than the retention "
        "window (Exotel calls with their stored audio; answered app calls that cannot match)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retention-days",
            type=int,
            default=settings.CALL_UNMATCHED_RETENTION_DAYS,
            help="Delete unmatched calls older than this (default: %(default)s).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, retention_days: int = 30, dry_run: bool = False, **options):
        result = calls_cleanup_unmatched(
            older_than=timezone.now() - timedelta(days=retention_days), dry_run=dry_run
        )
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {result.app_calls} app calls and {result.exotel_calls} Exotel calls "
            f"unmatched for over {retention_days} days."
        )
