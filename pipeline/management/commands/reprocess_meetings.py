from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agencies.models import Agency
from chirpworks.exceptions import ApplicationError
from chirpworks.management.progress import ProgressBar
from chirpworks.timeframes import since_parse
from meetings.job_selectors import job_reprocess_kind, meetings_for_reprocessing
from meetings.job_services import jobs_reprocess
from meetings.models import JobStatus


class Command(BaseCommand):
    help = (
        "Re-run processing for meetings, in batches: completed jobs with a transcript are "
        "analysed again (actions keep their ids and completed status); failed or waiting jobs "
        "are run again from the start."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="Agency id or name (default: every agency).")
        parser.add_argument("--since", help="Meetings that started since: 7d, 12h or a date.")
        parser.add_argument(
            "--status",
            choices=[s.value for s in JobStatus if s != JobStatus.IN_PROGRESS],
            help="Only jobs with this status (default: completed and failure).",
        )
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--dry-run", action="store_true", help="Count, queue nothing.")

    def handle(self, *args, agency=None, since=None, status=None, batch_size=100, **options):
        dry_run = options["dry_run"]
        selected_agency = None
        if agency:
            agencies = Agency.objects.filter(name__iexact=agency)
            if len(agency) == 36:
                agencies = Agency.objects.filter(pk=agency) | agencies
            selected_agency = agencies.first()
            if selected_agency is None:
                raise CommandError(f"No agency {agency!r}")
        try:
            since_at = since_parse(since) if since else None
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        jobs = meetings_for_reprocessing(
            agency=selected_agency,
            since=since_at,
            status=status,
        )
        if not status:
            jobs = jobs.filter(status__in=[JobStatus.COMPLETED, JobStatus.FAILURE])
        jobs = list(jobs)
        outcomes: Counter[str] = Counter()
        with ProgressBar(self.stderr, "job") as progress:
            for start in range(0, len(jobs), batch_size):
                batch = jobs[start : start + batch_size]
                if dry_run:
                    outcomes.update(job_reprocess_kind(job=job) for job in batch)
                else:
                    with transaction.atomic():  # the batch's tasks are queued when it commits
                        outcomes.update(jobs_reprocess(jobs=batch))
                progress(start + len(batch), len(jobs))
        verb = "Would queue" if dry_run else "Queued"
        self.stdout.write(
            f"{verb} {outcomes['analysis']} re-analyses and {outcomes['job']} full re-runs of "
            f"{len(jobs)} selected jobs; {outcomes['skipped']} skipped."
        )
