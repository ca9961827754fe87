from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from agencies.deletion_services import buyers_purge_deleted


class Command(BaseCommand):
    help = (
        "Delete for good the buyers deleted (or merged away) longer ago than the retention "
        "window, with their calls, actions and notes. Their audit rows stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retention-days",
            type=int,
            default=settings.BUYER_DELETED_RETENTION_DAYS,
            help="Purge buyers deleted more than this many days ago (default: %(default)s).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, retention_days: int = 90, dry_run: bool = False, **options):
        result = buyers_purge_deleted(
            older_than=timezone.now() - timedelta(days=retention_days), dry_run=dry_run
        )
        verb = "Would purge" if dry_run else "Purged"
        self.stdout.write(
            f"{verb} {result.buyers} buyers deleted over {retention_days} days ago "
            f"(with {result.meetings} meetings)."
        )
