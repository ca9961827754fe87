"""Shared fixtures: agencies, people in each role, and API clients authenticated as them."""

import os
import select
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from model_bakery import baker
from rest_framework.test import APIClient

from agencies.models import Agency
from sellers.models import Role, Seller
from sellers.services import tokens_issue


def _sleep_without_clock_nanosleep(seconds: float) -> None:
    select.select([], [], [], seconds)


# Under libfaketime with FAKETIME_DONT_FAKE_MONOTONIC (CI's shifted-clock pass), Python's
# time.sleep (clock_nanosleep on an absolute monotonic deadline) fails with EINVAL, and so does
# anything that polls with it, such as subprocess.run(timeout=...). select's relative timeout works.
if "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep_without_clock_nanosleep


def _monotonic_faked() -> bool:
    """libfaketime moves the monotonic clock too (no ``FAKETIME_DONT_FAKE_MONOTONIC``): a timed
    wait on a lock or an event asks the kernel for a deadline on the faked clock, far from the
    real one, and never times out. The kernel's own uptime is the real monotonic clock."""
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return abs(time.monotonic() - uptime) > 60


TIMED_WAITS_HANG = "faketime" in os.environ.get("LD_PRELOAD", "") and _monotonic_faked()


def pytest_collection_modifyitems(config, items):
    if not TIMED_WAITS_HANG:
        return
    skip = pytest.mark.skip(reason="a timed wait never ends under libfaketime's monotonic clock")
    for item in items:
        if item.get_closest_marker("real_time"):
            item.add_marker(skip)


_phone_counter = iter(range(10_000, 99_999))


def next_phone() -> str:
    return f"+9198{next(_phone_counter):08d}"


# The instant every test starts at: a Wednesday in mid-month, in working hours in India, a week
# after the dev corpus's calls, so "today", "this week" and "this month" hold the days a test's data
# is placed on. A test about another instant (the 1st of a month, midnight IST) moves the clock
# with the ``clock`` fixture.
FROZEN_NOW = datetime(2026, 11, 18, 11, 30, tzinfo=ZoneInfo("Asia/Kolkata"))


@pytest.fixture(autouse=True)
def clock():
    """The test's clock: starts at ``FROZEN_NOW`` and ticks; ``clock.move_to(instant)`` travels.

    Pinned for every test, so no result depends on the day or hour the suite runs (CI also runs it
    under faketime at an awkward instant to prove nothing reads the machine's clock directly).
    """
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session", autouse=True)
def _celery_tasks_registered():
    """Every app's tasks are registered, as in a worker (autodiscovery), whichever test runs
    first: lower apps' tests look the pipeline's and search's tasks up by their names."""
    from chirpworks.celery import app

    app.loader.import_default_modules()


@pytest.fixture(autouse=True)
def _reset_celery_join_guard():
    yield
    # Eager tasks run in threads (concurrency tests) race on Celery's process-global "inside a
    # task" flag and can leave it set, which would make a later test's result.get() refuse.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # throttles and cached lookups must not leak between tests
    yield
    cache.clear()


@pytest.fixture
def agency(db) -> Agency:
    return baker.make(Agency, name="Acme Realty")


@pytest.fixture
def other_agency(db) -> Agency:
    return baker.make(Agency, name="Other Agency")


@pytest.fixture
def make_seller(db) -> Callable[..., Seller]:
    def make(agency: Agency, *, role: str = Role.USER, password: str = "s3cret-pass!", **fields):
        fields.setdefault("phone", next_phone())
        fields.setdefault("email", f"{fields['phone'][1:]}@example.com")
        fields.setdefault("name", f"Seller {fields['phone'][-4:]}")
        seller = baker.make(Seller, agency=agency, role=role, **fields)
        seller.set_password(password)
        seller.save()
        return seller

    return make


@pytest.fixture
def admin(agency, make_seller) -> Seller:
    return make_seller(agency, role=Role.ADMIN, name="Agency Admin")


@pytest.fixture
def manager(agency, make_seller) -> Seller:
    return make_seller(agency, role=Role.MANAGER, name="Team Manager")


@pytest.fixture
def seller(agency, make_seller, manager) -> Seller:
    return make_seller(agency, role=Role.USER, name="Sam Seller", manager=manager)


@pytest.fixture
def staff(db) -> Seller:
    return Seller.objects.create_superuser("ops@example.com", "ops-pass-123", name="Ops")


@pytest.fixture
def staff_client(staff) -> Client:
    """The Django admin, logged in as ops staff."""
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[Seller], APIClient]:
    """An API client that sends ``seller``'s access token, as the mobile app does."""

    def make(seller: Seller) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(seller=seller).access}")
        return client

    return make
