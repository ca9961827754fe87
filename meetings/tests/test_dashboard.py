import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from model_bakery import baker

from agencies.models import Buyer
from calls.models import AppCallStatus, ExotelCall, MobileAppCall
from meetings.dashboard import dashboard_stats
from meetings.models import Job, JobStatus, Meeting

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def activity(agency, other_agency, seller, make_seller):
    now = timezone.now()
    buyer = baker.make(Buyer, agency=agency, phone="+919811100001")
    statuses = [JobStatus.COMPLETED] * 3 + [JobStatus.FAILURE] * 2 + [JobStatus.INIT]
    for status in statuses:
        meeting = baker.make(Meeting, agency=agency, seller=seller, buyer=buyer, start_time=now)
        error = "Recording is silent" if status == JobStatus.FAILURE else ""
        baker.make(Job, meeting=meeting, status=status, error=error)
    matched = baker.make(
        MobileAppCall,
        seller=seller,
        status=AppCallStatus.PROCESSING,
        start_time=now,
        end_time=now,
        meeting=Meeting.objects.first(),
    )
    baker.make(
        MobileAppCall, seller=seller, status=AppCallStatus.PROCESSING, start_time=now, end_time=now
    )
    baker.make(
        ExotelCall, agency=agency, start_time=now, mobile_call=matched, meeting=matched.meeting
    )
    other_seller = make_seller(other_agency)
    baker.make(ExotelCall, agency=other_agency, seller=other_seller, start_time=now)


@pytest.mark.django_db
def test_stats_are_counted_in_a_few_grouped_queries(activity, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        stats = dashboard_stats()
    assert stats.jobs_by_day[JobStatus.COMPLETED][-1] == 3
    assert stats.jobs_by_day[JobStatus.FAILURE][-1] == 2
    assert stats.waiting_jobs == 1
    assert stats.oldest_waiting_seconds is not None
    assert stats.calls_by_agency == {"Acme Realty": [0] * 6 + [2], "Other Agency": [0] * 6 + [1]}
    assert (stats.exotel_matched, stats.exotel_calls) == (1, 2)
    assert (stats.answered_app_calls_matched, stats.answered_app_calls) == (1, 2)
    assert stats.match_rate == 50.0
    assert stats.failure_reasons == [("Recording is silent", 2)]


@pytest.mark.django_db
def test_dashboard_is_for_staff_only(client, seller, staff):
    assert client.get("/admin/ops-dashboard/").status_code == 302  # to the admin login
    client.force_login(staff)
    response = client.get("/admin/ops-dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") >= 3
    assert "https://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not CHROMIUM and not os.environ.get("CHIRPWORKS_REQUIRE_BROWSER"),
    reason="Debian's chromium is missing (CI installs it, sets CHIRPWORKS_REQUIRE_BROWSER)",
)
def test_dashboard_renders_in_headless_chromium(live_server, activity, staff):
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(staff)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    screenshot = Path(settings.VAR_DIR) / "screenshots" / "ops-dashboard.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        external = []
        page.on("request", lambda r: r.url.startswith(live_server.url) or external.append(r.url))
        page.goto(f"{live_server.url}/admin/ops-dashboard/")
        for chart in ("#chart-jobs", "#chart-calls", "#chart-match"):
            box = page.locator(f"{chart} svg").bounding_box()
            assert box and box["width"] > 300 and box["height"] > 200, chart
        bars = page.locator("#chart-jobs svg .rect.reactive").count()
        assert bars >= 3  # completed, failure and init bars for today
        assert page.locator("#figures").inner_text().count("Jobs waiting") == 1
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert not [url for url in external if not url.startswith("data:")]
    assert screenshot.stat().st_size > 10_000
