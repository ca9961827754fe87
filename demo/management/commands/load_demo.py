"""Demo data for `make run`: an agency with an admin, a manager with two sellers, and products,
plus a week of calls placed relative to the moment the command runs (some of them today).

The calls arrive as they do in production: the sellers' app call logs are validated as the
endpoint does and stored by ``app_calls_sync``, Exotel's webhook events go through
``exotel_call_ingest`` (the recording is stored from demo/recordings instead of downloaded),
then ``calls_reconcile`` turns them into meetings and queues the recorded ones for processing
by the worker. Some calls are reconciled (app log + Exotel recording), some are Exotel-only or
app-only (not recorded), some are missed or not answered.

Idempotent: running it again changes nothing that already exists; ``--refresh-calls`` deletes the
demo agency's calls and meetings and places a new week ending today.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Buyer
from agencies.services import agency_create
from calls.exotel_services import exotel_call_ingest
from calls.models import ExotelCall, MobileAppCall, RecordingStatus
from calls.recordings import audio_probe
from calls.serializers import app_call_items_validate
from calls.sync_services import app_calls_sync
from meetings.job_services import job_enqueue
from meetings.models import Job, JobStatus, Meeting
from meetings.reconciliation.services import calls_reconcile
from products.models import Product
from products.services import product_create
from sellers.models import Role, Seller
from sellers.services import seller_create

DEMO_PASSWORD = "chirpworks-demo"  # noqa: S105  (documented demo login)
AGENCY = "SecureLife Insurance"
PRODUCTS = [
    (
        "Term Shield",
        "Term life insurance",
        [{"name": "critical illness rider"}, {"name": "return of premium"}],
    ),
    (
        "Health Plus Family",
        "Family floater health insurance",
        [{"name": "cashless hospitals"}, {"name": "maternity cover"}],
    ),
    (
        "Motor Secure",
        "Car insurance",
        [{"name": "zero depreciation"}, {"name": "roadside assistance"}],
    ),
]
PEOPLE = [
    # email, name, phone, role, manager email
    ("admin@securelife.example", "Asha Admin", "+919822200100", Role.ADMIN, None),
    ("manager@securelife.example", "Vikram Manager", "+919822200101", Role.MANAGER, None),
    ("priya@securelife.example", "Priya Shah", "+919822200001", Role.USER, "manager"),
    ("rahul@securelife.example", "Rahul Verma", "+919822200002", Role.USER, "manager"),
]
STAFF_EMAIL = "ops@chirpworks.example"
RECORDINGS = Path(settings.BASE_DIR) / "demo" / "recordings"
BUYERS = {
    "arjun": ("Arjun", "+919811100001"),
    "neha": ("Neha", "+919811100002"),
    "vikram": ("Vikram", "+919811100003"),
    "sameer": ("Sameer", "+919811100004"),
    "lata": ("Lata", "+919811100005"),
    "ganesh": ("Ganesh", "+919811100006"),
    "kiran": ("Kiran Rao", "+919811100011"),
    "deepa": ("Deepa Nair", "+919811100012"),
    "farhan": ("Farhan Ali", "+919811100013"),
    "sunita": ("Sunita Joshi", "+919811100014"),
}
UNKNOWN_CALLER = "+919811100099"  # a number no buyer has

# How a demo call reaches ChirpWorks:
RECORDED = "recorded"  # the app's call log and Exotel's events with the recording: reconciled
EXOTEL_ONLY = "exotel_only"  # Exotel's events and recording, the app never synced it
NOT_RECORDED = "not_recorded"  # answered, in the app's log only: a meeting without a recording
MISSED = "missed"  # an incoming call the seller missed (app log)
NO_ANSWER = "no_answer"  # the buyer did not pick up: app log and Exotel's "no-answer"


@dataclass(frozen=True)
class DemoCall:
    seller: str  # email
    days_ago: int  # 0 = today
    at: time | float  # a local time, or today's share of the day gone by (0-1)
    kind: str
    buyer: str  # a BUYERS key, or a phone number
    seconds: int = 0
    recording: str = ""  # a file in demo/recordings (scripted calls from shared/corpus-dev)


PRIYA, RAHUL, VIKRAM = (
    "priya@securelife.example",
    "rahul@securelife.example",
    "manager@securelife.example",
)
DEMO_CALLS = [
    DemoCall(PRIYA, 0, 0.55, RECORDED, "arjun", 28, "d1-stereo.ogg"),
    DemoCall(PRIYA, 0, 0.8, MISSED, UNKNOWN_CALLER),
    DemoCall(PRIYA, 1, time(14, 0), RECORDED, "neha", 31, "d2-mono.mp3"),
    DemoCall(PRIYA, 1, time(16, 20), MISSED, "sameer"),
    DemoCall(PRIYA, 2, time(11, 10), NOT_RECORDED, "kiran", 245),
    DemoCall(PRIYA, 3, time(11, 15), EXOTEL_ONLY, "vikram", 32, "d3-stereo.ogg"),
    DemoCall(PRIYA, 4, time(15, 45), NO_ANSWER, "deepa"),
    DemoCall(PRIYA, 5, time(17, 5), RECORDED, "ganesh", 26, "d6-mono.ogg"),
    DemoCall(PRIYA, 6, time(12, 30), NOT_RECORDED, "farhan", 130),
    DemoCall(RAHUL, 0, 0.45, RECORDED, "sameer", 23, "d4-stereo.ogg"),
    DemoCall(RAHUL, 0, 0.7, MISSED, "sunita"),
    DemoCall(RAHUL, 1, time(10, 5), NOT_RECORDED, "kiran", 95),
    DemoCall(RAHUL, 2, time(12, 40), NO_ANSWER, "farhan"),
    DemoCall(RAHUL, 3, time(16, 0), NOT_RECORDED, "deepa", 190),
    DemoCall(RAHUL, 4, time(9, 50), MISSED, UNKNOWN_CALLER),
    DemoCall(RAHUL, 5, time(13, 25), NOT_RECORDED, "sunita", 75),
    DemoCall(RAHUL, 6, time(18, 10), NO_ANSWER, "kiran"),
    DemoCall(VIKRAM, 0, 0.6, NO_ANSWER, "neha"),
    DemoCall(VIKRAM, 2, time(12, 20), RECORDED, "lata", 23, "d5-mono.ogg"),
    DemoCall(VIKRAM, 4, time(17, 30), NOT_RECORDED, "ganesh", 160),
]
APP_ID_PREFIX = "demo-"
SID_PREFIX = "demo"


class Command(BaseCommand):
    help = "Load the demo agency, its people, products and a week of calls (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--refresh-calls",
            action="store_true",
            help="Delete the demo agency's calls and meetings and load a new week ending today",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing")

    def handle(self, *args, refresh_calls: bool = False, dry_run: bool = False, **options):
        if dry_run:
            agency = Agency.objects.filter(name=AGENCY).first()
            loaded = agency is not None and self._has_calls(agency)
            self.stdout.write(
                f"[dry run] would {'keep' if loaded and not refresh_calls else 'load'} "
                f"{len(DEMO_CALLS)} demo calls for {AGENCY!r}; nothing written."
            )
            return
        with transaction.atomic():
            agency, people = self._agency_and_people()
            if refresh_calls:
                self._delete_calls(agency)
            if self._has_calls(agency):
                created = 0
                queued = self._requeue_waiting_jobs(agency)
            else:
                created = self._load_calls(agency, people)
                queued = Job.objects.filter(
                    meeting__agency=agency, status=JobStatus.INIT
                ).count()  # sent to the worker once this transaction commits

        calls = f"{created} demo calls loaded" if created else "demo calls already loaded"
        self.stdout.write(
            f"{calls} ({queued} recordings queued for processing by the worker). "
            f"Demo ready: agency {agency.name!r}, {len(PEOPLE)} people and {len(PRODUCTS)} "
            f"products; every demo login uses the password {DEMO_PASSWORD!r}."
        )

    def _agency_and_people(self) -> tuple[Agency, dict[str, Seller]]:
        agency = Agency.objects.filter(name=AGENCY).first() or agency_create(
            name=AGENCY,
            description="Life, health and motor insurance for families across India.",
        )
        for name, description, features in PRODUCTS:
            if not Product.objects.filter(agency=agency, name=name).exists():
                product_create(agency=agency, name=name, description=description, features=features)

        people: dict[str, Seller] = {}
        for email, name, phone, role, _ in PEOPLE:
            people[email] = Seller.objects.filter(email=email).first() or seller_create(
                agency=agency,
                email=email,
                name=name,
                phone=phone,
                role=role,
                password=DEMO_PASSWORD,
            )
        manager = people[VIKRAM]
        for email, *_, manager_key in PEOPLE:
            seller = people[email]
            if manager_key and seller.manager_id is None:
                seller.manager = manager
                seller.save(update_fields=["manager", "updated_at"])

        if not Seller.objects.filter(email=STAFF_EMAIL).exists():
            Seller.objects.create_superuser(STAFF_EMAIL, DEMO_PASSWORD, name="ChirpWorks Ops")
        return agency, people

    @staticmethod
    def _has_calls(agency: Agency) -> bool:
        return (
            Meeting.objects.filter(agency=agency).exists()
            or MobileAppCall.objects.filter(seller__agency=agency).exists()
        )

    @staticmethod
    def _delete_calls(agency: Agency) -> None:
        # Actions, jobs and scores go with their meetings (CASCADE).
        ExotelCall.objects.filter(agency=agency).delete()
        MobileAppCall.objects.filter(seller__agency=agency).delete()
        Meeting.objects.filter(agency=agency).delete()

    @staticmethod
    def _requeue_waiting_jobs(agency: Agency) -> int:
        """Jobs still waiting (e.g. the broker folder was wiped) are sent again: processing is
        idempotent."""
        jobs = list(Job.objects.filter(meeting__agency=agency, status=JobStatus.INIT))
        for job in jobs:
            job_enqueue(job=job)
        return len(jobs)

    def _load_calls(self, agency: Agency, people: dict[str, Seller]) -> int:
        tz = agency.tzinfo
        now = timezone.now().astimezone(tz)
        for name, phone in BUYERS.values():
            Buyer.objects.get_or_create(agency=agency, phone=phone, defaults={"name": name})

        app_items: dict[str, list[dict]] = {email: [] for email in people}
        exotel_events: list[tuple[dict, str]] = []
        for index, call in enumerate(DEMO_CALLS):
            seller = people[call.seller]
            start = _start_time(call, now)
            end = start + timedelta(seconds=call.seconds)
            buyer_phone = BUYERS[call.buyer][1] if call.buyer in BUYERS else call.buyer
            if call.kind in (RECORDED, NOT_RECORDED, MISSED, NO_ANSWER):
                app_items[call.seller].append(
                    {
                        "sellerNumber": seller.phone,
                        "appCallId": f"{APP_ID_PREFIX}{index + 1}",
                        "buyerNumber": buyer_phone,
                        "callType": "missed" if call.kind == MISSED else "outgoing",
                        "startTime": start.isoformat(),
                        "endTime": end.isoformat(),
                        "duration": call.seconds,
                    }
                )
            if call.kind in (RECORDED, EXOTEL_ONLY, NO_ANSWER):
                # Exotel's clock and the phone's differ by a second or two; matching allows it.
                exotel_start = start + timedelta(seconds=2)
                params = {
                    "CallSid": f"{SID_PREFIX}{start:%Y%m%d%H%M}{index + 1:03d}",
                    "CallFrom": seller.phone,
                    "CallTo": buyer_phone,
                    "Direction": "outbound-api",
                    "Status": "no-answer" if call.kind == NO_ANSWER else "completed",
                    "StartTime": exotel_start.strftime("%Y-%m-%d %H:%M:%S"),
                    "EndTime": (
                        exotel_start + timedelta(seconds=max(call.seconds - 3, 0))
                    ).strftime("%Y-%m-%d %H:%M:%S"),
                    "DialCallDuration": str(max(call.seconds - 3, 0)),
                }
                exotel_events.append((params, call.recording))

        for email, items in app_items.items():
            if items:
                calls = app_call_items_validate(seller=people[email], items=items)
                app_calls_sync(seller=people[email], calls=calls)
        recorded_ids = []
        for params, recording in exotel_events:
            call = exotel_call_ingest(key=agency.exotel_webhook_secret, params=params).call
            if recording:
                _store_recording(call, RECORDINGS / recording)
                recorded_ids.append(call.pk)
        # The demo needs its meetings now, not after the reconciliation grace period.
        app_ids = MobileAppCall.objects.filter(
            seller__agency=agency, reconciled_at__isnull=True
        ).values_list("pk", flat=True)
        calls_reconcile(
            seller_ids=[s.pk for s in people.values()], force_ids=[*app_ids, *recorded_ids]
        )
        # Each job dates from its call, as if ChirpWorks had been running all week (the ops
        # dashboard charts jobs by the day they were created).
        jobs = list(Job.objects.filter(meeting__agency=agency).select_related("meeting"))
        for job in jobs:
            job.created_at = job.meeting.end_time or job.meeting.start_time
        Job.objects.bulk_update(jobs, ["created_at"])
        return len(DEMO_CALLS)


def _start_time(call: DemoCall, now: datetime) -> datetime:
    """When ``call`` started: ``days_ago`` days before ``now`` at its local time, or, today, at a
    share of the day gone by (so it is never in the future)."""
    if isinstance(call.at, float):
        midnight = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
        started = midnight + (now - midnight) * call.at
        return started.replace(microsecond=0)
    day: date = now.date() - timedelta(days=call.days_ago)
    return datetime.combine(day, call.at, tzinfo=now.tzinfo)


def _store_recording(call: ExotelCall, path: Path) -> None:
    """What ``exotel_recording_download`` does after a download, from a local file."""
    with path.open("rb") as audio:
        probe = audio_probe(audio)  # decoded, as downloads are
        call.recording.save(f"{call.pk}{path.suffix}", File(audio), save=False)
    call.recording_duration = round(probe.duration, 2) if probe is not None else None
    call.recording_status = RecordingStatus.STORED
    call.save(update_fields=["recording", "recording_duration", "recording_status", "updated_at"])
