"""Fixtures of the processing-pipeline tests: meetings with real recordings, a service token."""

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files import File
from model_bakery import baker

from agencies.models import Buyer
from meetings.models import Job, Meeting
from products.models import Product

RECORDINGS = Path(__file__).resolve().parents[2] / "demo" / "recordings"
WORKER_TOKEN = "worker-test-token-0123456789"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # recordings written by a test stay in it


@pytest.fixture
def worker_token(settings) -> str:
    settings.WORKER_SERVICE_TOKEN = WORKER_TOKEN
    return WORKER_TOKEN


@pytest.fixture
def catalogue(agency) -> list[Product]:
    return [
        baker.make(
            Product,
            agency=agency,
            name="Term Shield",
            features=[{"name": "critical illness rider"}],
        ),
        baker.make(
            Product,
            agency=agency,
            name="Health Plus Family",
            features=[{"name": "maternity cover"}],
        ),
    ]


@pytest.fixture
def make_meeting(agency, seller):
    def make(recording: str | Path | None = "d1-stereo.ogg", **fields) -> Meeting:
        buyer = fields.pop("buyer", None) or baker.make(
            Buyer, agency=agency, phone=f"+9198111{Buyer.objects.count():05d}", name="Arjun"
        )
        meeting = baker.make(
            Meeting,
            agency=agency,
            seller=seller,
            buyer=buyer,
            title="Call",
            start_time=datetime(2026, 11, 9, 10, 30, tzinfo=ZoneInfo("Asia/Kolkata")),
            **fields,
        )
        if recording:
            path = Path(recording) if Path(recording).is_absolute() else RECORDINGS / recording
            with path.open("rb") as handle:
                meeting.recording.save(path.name, File(handle), save=True)
        return meeting

    return make


@pytest.fixture
def make_job(make_meeting):
    def make(recording: str | Path | None = "d1-stereo.ogg", **fields) -> Job:
        return baker.make(Job, meeting=make_meeting(recording), **fields)

    return make


def copy_recording(name: str, target: Path) -> Path:
    shutil.copy(RECORDINGS / name, target)
    return target
