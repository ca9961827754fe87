from django.core.management.base import BaseCommand

from chirpworks.management.progress import ProgressBar
from meetings.recording_services import meetings_purge_recordings


class Command(BaseCommand):
    help = (
        "Delete the audio of meetings older than their agency's recording retention "
        "(RECORDING_RETENTION_DAYS unless the agency sets its own); transcripts and analysis stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, delete nothing.")
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, dry_run: bool = False, batch_size: int = 200, **options):
        with ProgressBar(self.stderr, "meeting") as progress:
            result = meetings_purge_recordings(
                dry_run=dry_run, batch_size=batch_size, progress=progress
            )
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {result.files} recording files ({result.bytes / 1_048_576:.1f} MiB) of "
            f"{result.meetings} meetings past retention; transcripts and analysis kept."
        )
