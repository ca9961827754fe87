"""Shared set-up of the fault drills: a PostgreSQL database and Redis db of their own, Django
configured in this process, and the demo data a job needs. Everything stays on 127.0.0.1."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "drills"

DRILL_ENV = {
    "DATABASE_URL": os.environ.get(
        "DRILL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wt_trust-faults"
    ),
    "REDIS_URL": os.environ.get("DRILL_REDIS_URL", "redis://127.0.0.1:6379/5"),
    "MEDIA_ROOT": str(ROOT / "var" / "drills" / "media"),
    "DJANGO_SETTINGS_MODULE": "chirpworks.settings.local",
    "LOG_FORMAT": "json",
    "WORKER_SERVICE_TOKEN": "drill-worker-token",
    "EXOTEL_API_KEY": "drill-exotel-key",
    "EXOTEL_API_TOKEN": "drill-exotel-token",
}


def setup(**overrides: str) -> dict[str, str]:
    """Configure this process (and return the environment for child processes)."""
    env = {**DRILL_ENV, **overrides}
    env["CELERY_BROKER_URL"] = env.get("CELERY_BROKER_URL") or env["REDIS_URL"]
    os.environ.update(env)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    Path(env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    _create_database(env["DATABASE_URL"])
    call_command("migrate", verbosity=0, interactive=False)
    return {**os.environ, **env}


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def demo_job(recording: str = "d1-stereo.ogg"):
    """A meeting with a demo recording and its job in init."""
    import uuid

    from django.core.files import File
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from agencies.models import Agency, Buyer
    from meetings.models import Job, Meeting
    from sellers.models import Role, Seller

    agency, _ = Agency.objects.get_or_create(name="Drill Agency")
    seller, _ = Seller.objects.get_or_create(
        email="drill-seller@example.com",
        defaults={
            "agency": agency,
            "name": "Drill Seller",
            "phone": "+919822299001",
            "role": Role.USER,
        },
    )
    buyer, _ = Buyer.objects.get_or_create(
        agency=agency, phone="+919822299002", defaults={"name": "B"}
    )
    with open(ROOT / "demo" / "recordings" / recording, "rb") as source:
        name = default_storage.save(f"drills/{uuid.uuid4().hex}-{recording}", File(source))
    meeting = Meeting.objects.create(
        agency=agency,
        seller=seller,
        buyer=buyer,
        start_time=timezone.now(),
        recording=name,
        title="Drill meeting",
    )
    return Job.objects.create(meeting=meeting, audio_location=name)
