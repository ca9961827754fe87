"""Issue 13: people correct the analysis (summary, deal stage, products); call_data additions."""

import uuid

import pytest
from celery import current_app
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Tracker
from meetings.models import MeetingCorrection
from meetings.tests.factories import ist, make_meeting

pytestmark = pytest.mark.django_db

TRANSCRIPT = [
    {"speaker": "Speaker 1", "role": "seller", "start": 0.0, "end": 6.0, "translation": None,
     "confidence": 0.9,
     "text": "Hello Arjun, this is Priya from SecureLife. You asked about Term Shield."},
    {"speaker": "Speaker 2", "role": "buyer", "start": 6.5, "end": 12.0, "translation": None,
     "confidence": 0.9,
     "text": "Yes. How much is the premium? Star Health quoted me less for the same cover."},
    {"speaker": "Speaker 1", "role": "seller", "start": 12.5, "end": 25.0, "translation": None,
     "confidence": 0.9,
     "text": "It is twelve thousand a year with the critical illness rider. Star Health has no "
     "rider like it. I will email you the quote by Friday."},
    {"speaker": "Speaker 2", "role": "buyer", "start": 25.5, "end": 28.0, "translation": None,
     "confidence": 0.9, "text": "Okay, send it. Can I pay monthly?"},
]  # fmt: skip


def reanalyse(job_id) -> str:
    """Run the pipeline's re-analysis task (by its registered name: the pipeline is above us)."""
    return current_app.tasks["meetings.tasks.analyse_job"](str(job_id))


@pytest.fixture
def analysed(seller, catalogue):
    """A completed meeting with a transcript, analysed by the real offline analyser."""
    meeting = make_meeting(seller, start=ist(2026, 11, 16, 11, 0), transcription=TRANSCRIPT)
    agency = meeting.agency
    Tracker.objects.create(agency=agency, name="competitors", phrases=["Star Health"])
    agency.save()
    assert reanalyse(meeting.job.pk) == "completed"
    meeting.refresh_from_db()
    return meeting


def url(meeting) -> str:
    return f"/api/meetings/call_data/{meeting.pk}"


# --- call_data additions ------------------------------------------------------------------------


def test_call_data_serves_the_analysis_talk_metrics_and_tracker_hits(client_for, analysed):
    body = client_for(analysed.seller).get(url(analysed)).json()

    assert body["deal_stage"] == analysed.deal_stage
    assert body["deal_stage"]["deal_stage"]
    assert body["risks"] == analysed.risks
    assert body["qa_pairs"] == analysed.qa_pairs and body["facts"] == analysed.facts
    talk = body["talk_metrics"]
    assert talk["talk_ratio"]["seller"] > talk["talk_ratio"]["buyer"]
    assert talk["talk_seconds"] == {"seller": 18.5, "buyer": 8.0}
    assert talk["longest_monologue"]["role"] == "seller"
    assert talk["longest_monologue"]["seconds"] == 12.5
    assert talk["questions"] == {"seller": 0, "buyer": 2, "total": 2}
    hits = body["tracker_hits"]
    assert [(h["keyword"], h["role"], h["start"]) for h in hits] == [
        ("Star Health", "buyer", 6.5),
        ("Star Health", "seller", 12.5),
    ]
    assert body["warnings"] == [] and body["corrections"] == []
    for objection in body["objections"]:
        assert objection["type"] in {"price", "timing", "competitor", "trust", "need"}


def test_talk_metrics_are_null_without_known_roles(client_for, seller):
    transcript = [{**s, "role": "unknown", "speaker": "Speaker 1"} for s in TRANSCRIPT]
    meeting = make_meeting(seller, start=ist(2026, 11, 16, 11, 0), transcription=transcript)
    body = client_for(seller).get(url(meeting)).json()
    assert body["talk_metrics"] is None


def test_call_data_query_count_does_not_grow_with_corrections(client_for, analysed, manager):
    client = client_for(analysed.seller)
    with CaptureQueriesContext(connection) as baseline:
        client.get(url(analysed))
    assert len(baseline.captured_queries) <= 12
    for i in range(5):
        client_for(manager if i % 2 else analysed.seller).patch(
            url(analysed), {"summary": [f"Version {i}"]}, format="json"
        )
    with CaptureQueriesContext(connection) as after:
        body = client.get(url(analysed)).json()
    assert len(after.captured_queries) == len(baseline.captured_queries)
    assert [c["field"] for c in body["corrections"]] == ["summary"]


# --- corrections --------------------------------------------------------------------------------


def test_a_seller_corrects_summary_stage_and_products(client_for, analysed, catalogue):
    response = client_for(analysed.seller).patch(
        url(analysed),
        {
            "summary": ["Arjun wants Term Shield with the rider; quote by Friday."],
            "deal_stage": "Negotiation / Approval",
            "detected_products": ["Term Shield", str(catalogue[1].pk)],
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == ["Arjun wants Term Shield with the rider; quote by Friday."]
    assert body["deal_stage"]["deal_stage"] == "Negotiation / Approval"
    assert [p["product_name"] for p in body["detected_products"]] == [
        "Term Shield",
        "Health Plus Family",
    ]
    assert {c["field"] for c in body["corrections"]} == {
        "summary",
        "deal_stage",
        "detected_products",
    }
    correction = MeetingCorrection.objects.get(meeting=analysed, field="deal_stage")
    assert correction.corrected_by == analysed.seller
    assert correction.previous == {**analysed.deal_stage}
    assert correction.created_at is not None


def test_re_analysis_never_overwrites_a_correction(client_for, analysed, manager):
    response = client_for(manager).patch(
        url(analysed),
        {"summary": ["Corrected by the manager."], "deal_stage": "Likely Won"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    type(analysed).objects.filter(pk=analysed.pk).update(transcription=[
        *TRANSCRIPT,
        {"speaker": "Speaker 2", "role": "buyer", "start": 29.0, "end": 33.0,
         "translation": None, "confidence": 0.9,
         "text": "What about Health Plus Family for my parents? Is maternity cover included?"},
    ])  # fmt: skip

    assert reanalyse(analysed.job.pk) == "completed"

    analysed.refresh_from_db()
    assert analysed.summary == ["Corrected by the manager."]
    assert analysed.deal_stage["deal_stage"] == "Likely Won"
    # what nobody corrected follows the new analysis
    assert "Health Plus Family" in {p["product_name"] for p in analysed.detected_products}


def test_an_external_worker_update_keeps_corrections(client, client_for, analysed, worker_token):
    client_for(analysed.seller).patch(url(analysed), {"deal_stage": "Likely Lost"}, format="json")

    response = client.put(
        f"/api/meetings/call_data/summary/{analysed.pk}",
        {"deal_stage": {"deal_stage": "Likely Won"}, "call_title": "New title"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {worker_token}",
    )

    assert response.status_code == 200
    assert response.json()["kept_corrections"] == ["deal_stage"]
    analysed.refresh_from_db()
    assert analysed.deal_stage["deal_stage"] == "Likely Lost"
    assert analysed.title == "New title"


def test_corrections_are_kept_with_who_and_when(client_for, analysed, manager, clock):
    client_for(analysed.seller).patch(url(analysed), {"summary": "First."}, format="json")
    clock.move_to("2026-11-19 10:00:00+05:30")
    body = client_for(manager).patch(url(analysed), {"summary": ["Second."]}, format="json").json()

    history = MeetingCorrection.objects.filter(meeting=analysed).order_by("created_at")
    assert [(c.value, c.corrected_by) for c in history] == [
        (["First."], analysed.seller),
        (["Second."], manager),
    ]
    assert history[1].previous == ["First."]
    [latest] = body["corrections"]
    assert latest["corrected_by"] == str(manager.pk)
    assert latest["corrected_at"].startswith("2026-11-19T10:00")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"deal_stage": "Almost there"},
        {"summary": []},
        {"summary": ["Fine."], "detected_products": ["No Such Plan"]},
        {"summary": ["Fine."], "title": "not correctable here"},
        {"detected_products": "Term Shield"},
        ["summary"],
    ],
)
def test_bad_corrections_answer_400_and_write_nothing(client_for, analysed, payload):
    before = (analysed.summary, analysed.deal_stage, analysed.detected_products)

    response = client_for(analysed.seller).patch(url(analysed), payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) >= {"error", "code"}
    analysed.refresh_from_db()
    assert (analysed.summary, analysed.deal_stage, analysed.detected_products) == before
    assert not MeetingCorrection.objects.exists()


def test_who_may_correct(client_for, analysed, make_seller, agency, other_agency, admin):
    payload = {"deal_stage": "Likely Won"}
    guest = make_seller(agency, role="guest")
    colleague = make_seller(agency)
    outsider = make_seller(other_agency, role="admin")

    assert client_for(guest).patch(url(analysed), payload, format="json").status_code == 403
    for stranger in (colleague, outsider):
        response = client_for(stranger).patch(url(analysed), payload, format="json")
        assert response.status_code == 404
    missing = f"/api/meetings/call_data/{uuid.uuid4()}"
    assert client_for(analysed.seller).patch(missing, payload, format="json").status_code == 404
    assert not MeetingCorrection.objects.exists()
    assert client_for(admin).patch(url(analysed), payload, format="json").status_code == 200
