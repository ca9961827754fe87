"""The ops console in headless Chromium at 1400 px: the meetings and jobs lists fit, a meeting's
page reads well (issue 14). Screenshots go to var/screenshots/ to be looked at."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from meetings.models import JobStatus
from meetings.tests.factories import ist, make_action, make_buyer, make_meeting, make_performance
from meetings.tests.test_admin_readability import ANALYSIS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
WIDTH = 1400

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM and not os.environ.get("CHIRPWORKS_REQUIRE_BROWSER"),
        reason="Debian's chromium is missing (CI installs it, sets CHIRPWORKS_REQUIRE_BROWSER)",
    ),
]


@pytest.fixture
def console(live_server, staff):
    """A logged-in admin page in Chromium; ``external`` collects requests to other hosts."""
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(staff)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        page.external = []
        page.on(
            "request",
            lambda r: r.url.startswith((live_server.url, "data:")) or page.external.append(r.url),
        )
        page.base = live_server.url
        yield page
        browser.close()


@pytest.fixture
def meetings(seller, make_seller, agency):
    colleague = make_seller(agency, name="Rahul Verma")
    rows = []
    for day in range(12):
        who = seller if day % 2 else colleague
        buyer = make_buyer(agency, name=f"Buyer with a long name number {day}")
        meeting = make_meeting(
            who,
            buyer=buyer,
            start=ist(2026, 11, 18 - day % 7, 10 + day % 8, 30, 5),
            seconds=28 + day,
            title=f"Term Shield follow-up with decision makers and {buyer.name}",
            job_status=JobStatus.FAILURE if day % 3 == 0 else JobStatus.COMPLETED,
            **ANALYSIS,
        )
        if day % 3 == 0:
            meeting.job.error = "No recording: the call has no Exotel recording to transcribe"
            meeting.job.save(update_fields=["error"])
        make_performance(meeting, intro=8, rapport_building=6)
        make_action(meeting, title="Email both quotes", due_date=ist(2026, 11, 20, 18, 0))
        rows.append(meeting)
    return rows


def _fits(page) -> None:
    """The change list's table is entirely within the page: nothing scrolls sideways."""
    overflow = page.evaluate(
        "() => { const r = document.querySelector('.results');"
        " return [r.scrollWidth, r.clientWidth, document.documentElement.scrollWidth]; }"
    )
    assert overflow[0] <= overflow[1] and overflow[2] <= WIDTH, overflow
    last = page.locator("#result_list thead th").last.bounding_box()
    assert last and last["x"] + last["width"] <= WIDTH


def test_meetings_list_fits_1400_px(meetings, console):
    console.goto(f"{console.base}/admin/meetings/meeting/")
    _fits(console)
    headers = console.locator("#result_list thead th").all_inner_texts()
    assert [h.strip().upper() for h in headers[-5:]] == [
        "START (AGENCY TIME)",
        "DURATION",
        "JOB",
        "SCORE",
        "FLAGS",
    ]
    assert "18 Nov 10:30 IST" in console.locator("#result_list").inner_text()
    console.screenshot(path=str(SCREENSHOTS / "admin-meetings.png"), full_page=True)
    assert console.external == []


def test_jobs_list_fits_1400_px(meetings, console):
    console.goto(f"{console.base}/admin/meetings/job/")
    _fits(console)
    assert "No recording" in console.locator("#result_list").inner_text()
    console.screenshot(path=str(SCREENSHOTS / "admin-jobs.png"), full_page=True)


def test_meeting_page_reads_well(meetings, console):
    meeting = meetings[1]
    console.goto(f"{console.base}/admin/meetings/meeting/{meeting.pk}/change/")
    subtitle = console.locator("#content h2").first.inner_text()
    assert "times in IST (Asia/Kolkata)" in subtitle
    start = console.locator(".field-started .readonly").inner_text()
    end = console.locator(".field-ended .readonly").inner_text()
    assert start.endswith("IST") and end.endswith("IST") and start != end
    badge = console.locator(".deal-stage")
    assert badge.inner_text() == "Negotiation / Approval" and badge.is_visible()
    assert console.locator(".field-summary_view li").count() == 2
    assert console.locator(".field-qa_pairs_view td").count() == 2
    assert console.locator(".field-detected_products_view tbody tr").count() == 1
    width = console.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH
    console.screenshot(path=str(SCREENSHOTS / "admin-meeting.png"), full_page=True)
    assert console.external == []


@pytest.mark.parametrize(("path", "ready"), [("/api/docs/", ".opblock"), ("/api/redoc/", "h1")])
def test_api_docs_render_with_no_network(console, path, ready):
    failed = []
    console.on("requestfailed", lambda r: failed.append((r.url, r.failure)))
    console.goto(f"{console.base}{path}")
    console.wait_for_selector(ready, timeout=20_000)
    assert "ChirpWorks API" in console.locator(ready).first.inner_text() or (
        console.locator(".opblock").count() > 20
    )
    console.screenshot(path=str(SCREENSHOTS / f"api-{path.strip('/').replace('/', '-')}.png"))
    # ReDoc's bundle names a logo on its CDN: the page's CSP stops it before it is sent.
    sent = [url for url in console.external if not url.startswith("blob:")]
    blocked = {url for url, failure in failed if failure == "csp"}
    assert set(sent) <= blocked, sent
