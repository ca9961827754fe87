from django.core.management.base import BaseCommand

from agencies.book_services import buyers_mark_dormant


class Command(BaseCommand):
    help = "Mark dormant the buyers with no call for their agency's buyer_dormant_after_days."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        changed = buyers_mark_dormant(dry_run=dry_run)
        verb = "Would mark" if dry_run else "Marked"
        self.stdout.write(f"{verb} {changed} buyers dormant.")
