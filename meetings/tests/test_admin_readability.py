"""The ops console reads well (issue 14): agency times, analysis as HTML, lists that fit."""

import logging

import pytest
from django.urls import reverse

from chirpworks.admin_display import bullets, details, local_time, stage_badge, table
from meetings.tests.factories import ist, make_action, make_meeting, make_performance

pytestmark = pytest.mark.django_db

ANALYSIS = {
    "summary": [
        "Priya (seller): You asked about <Term Shield>.",
        "Arjun (buyer): A quote, please.",
    ],
    "key_discussion_points": ["Term Shield: buyer interest medium", "Next step: email quotes"],
    "detected_products": [
        {
            "product_name": "Term Shield",
            "interest_level": "medium",
            "mentions": 2,
            "features": [{"name": "critical illness rider"}],
        }
    ],
    "qa_pairs": [{"question": "What would the premium be?", "answer": "About 12,000 a year."}],
    "deal_stage": {
        "deal_stage": "Negotiation / Approval",
        "stage_signals": ["waive the medical test fee"],
        "stage_reasoning": ["The buyer sets a condition"],
    },
}


@pytest.fixture
def analysed(seller):
    meeting = make_meeting(
        seller, start=ist(2026, 11, 18, 10, 30, 5), seconds=28, title="Call with Arjun", **ANALYSIS
    )
    make_performance(meeting, intro=8)
    make_action(meeting, title="Email both quotes", due_date=ist(2026, 11, 20, 18, 0))
    return meeting


def test_meeting_page_reads_in_the_agency_timezone_with_html_analysis(staff_client, analysed):
    content = staff_client.get(
        reverse("admin:meetings_meeting_change", args=[analysed.pk])
    ).content.decode()
    # Times: the agency's zone, named; start and end to the second (a 28 s call).
    assert "times in IST (Asia/Kolkata)" in content
    assert "Wed 18 Nov 2026, 10:30:05 IST" in content
    assert "Wed 18 Nov 2026, 10:30:33 IST" in content
    assert "Nov. 20, 2026, 6 p.m." in content  # the action's due date, in IST, not 12:30 UTC
    # Analysis: bullets, tables and a badge; stored text escaped.
    assert ">Priya (seller): You asked about &lt;Term Shield&gt;.</li>" in content
    assert ">Next step: email quotes</li>" in content
    assert "<th>Product</th><th>Interest</th><th>Mentions</th><th>Features</th>" in content
    assert "<td>Term Shield</td><td>medium</td><td>2</td><td>critical illness rider</td>" in content
    assert "<td>What would the premium be?</td><td>About 12,000 a year.</td>" in content
    assert 'class="deal-stage"' in content and ">Negotiation / Approval</span>" in content
    assert ">waive the medical test fee</li>" in content
    assert "&quot;deal_stage&quot;" not in content  # no JSON dump left


def test_change_lists_show_agency_times(staff_client, analysed):
    meetings = staff_client.get(reverse("admin:meetings_meeting_changelist")).content.decode()
    assert "18 Nov 10:30 IST" in meetings
    jobs = staff_client.get(reverse("admin:meetings_job_changelist")).content.decode()
    assert "IST</time>" in jobs and str(analysed.job.pk)[:8] + "…" in jobs
    actions = staff_client.get(reverse("admin:actions_action_changelist")).content.decode()
    assert "20 Nov 18:00 IST" in actions


def test_renderers_escape_everything():
    evil = "<img src=x onerror=alert(1)>"
    for html in (
        bullets([evil, {"k": evil}]),
        table([{"a": evil}]),
        details({"x": evil, "y": [evil]}),
        stage_badge({"deal_stage": evil, "stage_signals": [evil]}),
    ):
        assert "<img" not in html and "&lt;img" in html
    assert bullets([]) == table([]) == details(None) == stage_badge(None) == local_time(None, None)


def test_forbidden_admin_page_is_403_without_a_traceback(staff_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = staff_client.get(reverse("admin:meetings_meeting_add"))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.exc_info is None and not r.exc_text for r in records)
    assert "Traceback" not in caplog.text
    assert all(getattr(r, "request_id", "-") != "-" for r in records)
