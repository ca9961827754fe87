"""Recompute the daily call rollups of a range of days from the calls themselves."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from agencies.models import Agency
from rollups.services import rollups_rebuild
from sellers.models import Seller


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a YYYY-MM-DD date: {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Recompute SellerDailyCalls rows from meetings and app calls for a range of local days "
        "(default: the last 90 days). --dry-run counts the rows that would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", type=_day, help="first local day, YYYY-MM-DD")
        parser.add_argument("--end", type=_day, help="last local day, YYYY-MM-DD (default today)")
        parser.add_argument("--days", type=int, default=90, help="days back when --start is absent")
        parser.add_argument("--agency", help="agency name (default: every agency)")
        parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        end = options["end"] or timezone.now().date() + timedelta(days=1)
        start = options["start"] or end - timedelta(days=options["days"])
        if start > end:
            raise CommandError("--start is after --end")
        agency_id = None
        if options["agency"]:
            agency = Agency.objects.filter(name=options["agency"]).first()
            if agency is None:
                raise CommandError(f"no agency named {options['agency']!r}")
            agency_id = agency.pk
        sellers = (
            Seller.objects.all()
            if agency_id is None
            else Seller.objects.filter(agency_id=agency_id)
        )
        total = sellers.count() * ((end - start).days + 1)
        with tqdm(
            total=total, unit="seller-day", disable=options["no_progress"], file=self.stderr
        ) as bar:
            result = rollups_rebuild(
                start_day=start,
                end_day=end,
                agency_id=agency_id,
                dry_run=options["dry_run"],
                progress=bar.update,
            )
        verb = "would change" if options["dry_run"] else "changed"
        self.stdout.write(
            f"{result.sellers} sellers, {start}..{end} ({result.days} days): "
            f"{result.changed} rows {verb}"
        )
