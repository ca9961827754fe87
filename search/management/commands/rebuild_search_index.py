import sys
import time
import uuid

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from search.index import search_index_rebuild_agency


class Command(BaseCommand):
    help = (
        "Re-index every meeting, action, buyer, product, seller and unreconciled app call of one "
        "agency, and drop documents of vanished entities. Unchanged entities are skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agency", required=True, help="The agency's id or name")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; write nothing"
        )

    def _agency(self, value: str) -> Agency:
        try:
            agency = Agency.objects.filter(pk=uuid.UUID(value)).first()
        except ValueError:
            agency = Agency.objects.filter(name__iexact=value).first()
        if agency is None:
            raise CommandError(f"No agency with id or name {value!r}")
        return agency

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} entities", ending=""
        )
        self.stdout.flush()

    def handle(self, *args, agency: str, dry_run: bool, **options) -> None:
        target = self._agency(agency)
        started = time.perf_counter()
        show_progress = options.get("verbosity", 1) > 0
        outcome = search_index_rebuild_agency(
            agency_id=target.pk,
            dry_run=dry_run,
            on_progress=self._progress if show_progress else None,
        )
        if show_progress:
            self.stdout.write("")
        verb = "would write" if dry_run else "wrote"
        removed = "would delete" if dry_run else "deleted"
        kinds = ", ".join(f"{kind} {count}" for kind, count in outcome.by_kind.items())
        self.stdout.write(
            f"{target.name}: {outcome.entities} entities, {outcome.unchanged} unchanged; "
            f"{verb} {outcome.written} documents ({kinds}); {removed} "
            f"{outcome.deleted} replaced and {outcome.stale_deleted} stale documents "
            f"in {time.perf_counter() - started:.1f}s" + (" (dry run)" if dry_run else "")
        )
        sys.stdout.flush()
