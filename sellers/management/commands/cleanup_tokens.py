from django.core.management.base import BaseCommand

from sellers.services import tokens_cleanup


class Command(BaseCommand):
    help = "Delete expired refresh tokens and expired revoked access tokens."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        result = tokens_cleanup(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {result.refresh_tokens} expired refresh tokens and "
            f"{result.access_tokens} expired revoked access tokens."
        )
