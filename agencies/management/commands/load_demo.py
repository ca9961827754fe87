"""Demo data for `make run`: an agency with an admin, a manager with two sellers, and products,
plus recorded calls of Priya's (demo/recordings) queued for processing by the worker.

Idempotent: running it again changes nothing that already exists.
"""

from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Buyer
from agencies.services import agency_create
from meetings.models import Job, JobStatus, Meeting, MeetingSource
from meetings.services import job_create_for_meeting, job_enqueue
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
# Scripted calls from shared/corpus-dev, synthesised with espeak-ng: (recording, buyer name,
# buyer phone, days ago, local start time, seconds). Stereo = Exotel dual channel, mono = phone.
DEMO_CALLS = [
    ("d1-stereo.ogg", "Arjun", "+919811100001", 3, time(10, 30), 28),
    ("d2-mono.mp3", "Neha", "+919811100002", 3, time(14, 0), 31),
    ("d3-stereo.ogg", "Vikram", "+919811100003", 2, time(11, 15), 32),
    ("d6-mono.ogg", "Ganesh", "+919811100006", 1, time(17, 5), 26),
]
DEMO_SELLER = "priya@securelife.example"


class Command(BaseCommand):
    help = "Load the demo agency, its people and products (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        agency = Agency.objects.filter(name=AGENCY).first() or agency_create(
            name=AGENCY,
            description="Life, health and motor insurance for families across India.",
        )
        for name, description, features in PRODUCTS:
            if not Product.objects.filter(agency=agency, name=name).exists():
                product_create(agency=agency, name=name, description=description, features=features)

        by_email: dict[str, Seller] = {}
        for email, name, phone, role, _ in PEOPLE:
            by_email[email] = Seller.objects.filter(email=email).first() or seller_create(
                agency=agency,
                email=email,
                name=name,
                phone=phone,
                role=role,
                password=DEMO_PASSWORD,
            )
        manager = by_email["manager@securelife.example"]
        for email, *_, manager_key in PEOPLE:
            seller = by_email[email]
            if manager_key and seller.manager_id is None:
                seller.manager = manager
                seller.save(update_fields=["manager", "updated_at"])

        if not Seller.objects.filter(email=STAFF_EMAIL).exists():
            Seller.objects.create_superuser(STAFF_EMAIL, DEMO_PASSWORD, name="ChirpWorks Ops")

        queued = self._demo_calls(agency, by_email[DEMO_SELLER])

        self.stdout.write(
            f"{len(DEMO_CALLS)} demo calls ({queued} queued for processing by the worker). "
            f"Demo ready: agency {agency.name!r}, {len(PEOPLE)} people and {len(PRODUCTS)} "
            f"products; every demo login uses the password {DEMO_PASSWORD!r}."
        )

    def _demo_calls(self, agency: Agency, seller: Seller) -> int:
        """Create the demo buyers, meetings and jobs once; (re-)queue jobs not yet processed."""
        tz = agency.tzinfo
        today = timezone.now().astimezone(tz).date()
        queued = 0
        for recording, name, phone, days_ago, start, seconds in DEMO_CALLS:
            buyer, _ = Buyer.objects.get_or_create(
                agency=agency, phone=phone, defaults={"name": name}
            )
            meeting = Meeting.objects.filter(seller=seller, buyer=buyer).first()
            if meeting is None:
                start_time = datetime.combine(today - timedelta(days=days_ago), start, tzinfo=tz)
                meeting = Meeting.objects.create(
                    agency=agency,
                    seller=seller,
                    buyer=buyer,
                    source=MeetingSource.PHONE,
                    direction="outgoing",
                    start_time=start_time,
                    end_time=start_time + timedelta(seconds=seconds),
                    title=f"Call with {name}",
                )
                with (RECORDINGS / recording).open("rb") as audio:
                    meeting.recording.save(recording, File(audio), save=True)
            job = Job.objects.filter(meeting=meeting).first()
            if job is None:
                job_create_for_meeting(meeting=meeting)
                queued += 1
            elif job.status == JobStatus.INIT:
                job_enqueue(job=job)  # e.g. the broker was wiped; processing is idempotent
                queued += 1
        return queued
