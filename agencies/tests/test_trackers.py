"""Keyword trackers as a managed list, and their hits per call and per period."""

import pytest
from django.apps import apps

from agencies.models import Tracker
from meetings.analysis_services import meeting_apply_analysis
from meetings.models import TrackerHit
from meetings.tests.factories import ist, make_meeting
from sellers.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/agency/trackers"
HITS = "/api/agency/trackers/hits"


def test_admins_and_managers_write_everyone_reads(client_for, admin, manager, seller, agency):
    body = {"name": " Competitors ", "phrases": ["Star  Health", "star health", "HDFC Life"]}
    created = client_for(manager).post(URL, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["phrases"] == ["Star Health", "HDFC Life"]
    assert created.json()["name"] == "Competitors" and created.json()["speaker"] == "any"
    assert (
        client_for(seller).post(URL, {"name": "x", "phrases": ["y"]}, format="json").status_code
        == 403
    )
    listed = client_for(seller).get(URL).json()["trackers"]
    assert [t["name"] for t in listed] == ["Competitors"]
    tracker_id = created.json()["id"]
    patched = client_for(admin).patch(
        f"{URL}/{tracker_id}", {"speaker": "buyer", "phrases": ["Max Life"]}, format="json"
    )
    assert patched.json()["speaker"] == "buyer" and patched.json()["phrases"] == ["Max Life"]
    assert client_for(seller).delete(f"{URL}/{tracker_id}").status_code == 403
    assert client_for(admin).delete(f"{URL}/{tracker_id}").status_code == 204
    assert not Tracker.objects.filter(agency=agency).exists()


def test_bad_input_and_duplicates_answer_400(client_for, manager):
    client = client_for(manager)
    assert client.post(URL, {"name": "Pricing", "phrases": []}, format="json").status_code == 400
    assert (
        client.post(URL, {"name": "Pricing", "phrases": ["  "]}, format="json").status_code == 400
    )
    bad_speaker = {"name": "Pricing", "phrases": ["emi"], "speaker": "robot"}
    assert client.post(URL, bad_speaker, format="json").status_code == 400
    assert (
        client.post(URL, {"name": "Pricing", "phrases": ["emi"]}, format="json").status_code == 201
    )
    again = client.post(URL, {"name": "pricing", "phrases": ["discount"]}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "tracker_exists"
    assert Tracker.objects.count() == 1


def test_another_agencys_tracker_answers_404(client_for, admin, other_agency, make_seller):
    theirs = Tracker.objects.create(agency=other_agency, name="Theirs", phrases=["x"])
    for method in ("get", "patch", "delete"):
        response = getattr(client_for(admin), method)(f"{URL}/{theirs.pk}", {}, format="json")
        assert response.status_code == 404, method
    assert Tracker.objects.filter(pk=theirs.pk).exists()


ANALYSIS = {"call_title": "Call", "call_summary": {"bullets": ["b"]}, "actions": []}


def test_an_analysed_call_stores_its_hits_by_speaker(agency, seller, manager, client_for):
    Tracker.objects.create(agency=agency, name="Competitors", phrases=["star health"])
    Tracker.objects.create(
        agency=agency, name="Pricing", phrases=["emi", "discount"], speaker="buyer"
    )
    meeting = make_meeting(
        seller,
        start=ist(2026, 11, 10, 10),
        transcription=[
            {
                "speaker": "A",
                "role": "seller",
                "text": "Star Health costs more; no discount.",
                "start": 1.0,
            },
            {
                "speaker": "B",
                "role": "buyer",
                "text": "What EMI? Premium is high. Discount?",
                "start": 5.0,
            },
        ],
    )
    meeting_apply_analysis(meeting=meeting, analysis=ANALYSIS)
    hits = sorted(TrackerHit.objects.values_list("phrase", "speaker", "start"))
    assert hits == [
        ("discount", "buyer", 5.0),
        ("emi", "buyer", 5.0),
        ("star health", "seller", 1.0),
    ]
    one_call = client_for(seller).get(HITS, {"meeting_id": str(meeting.pk)}).json()["hits"]
    assert [h["phrase"] for h in one_call] == ["star health", "emi", "discount"]
    period = {"start_date": "2026-11-01", "end_date": "2026-11-17"}
    summary = {t["name"]: t for t in client_for(manager).get(HITS, period).json()["trackers"]}
    assert summary["Pricing"]["hits"] == 2 and summary["Pricing"]["calls"] == 1
    assert summary["Competitors"]["by_speaker"] == {"seller": 1}
    by_buyer = client_for(manager).get(HITS, {**period, "speaker": "buyer"}).json()["trackers"]
    assert {t["name"]: t["hits"] for t in by_buyer} == {"Competitors": 0, "Pricing": 2}
    meeting_apply_analysis(meeting=meeting, analysis=ANALYSIS)  # re-analysis: no double count
    assert TrackerHit.objects.count() == 3


def test_hits_are_scoped_to_who_may_see_the_call(
    agency, seller, make_seller, client_for, other_agency
):
    Tracker.objects.create(agency=agency, name="Pricing", phrases=["emi"])
    meeting = make_meeting(
        seller,
        start=ist(2026, 11, 10, 10),
        transcription=[{"speaker": "B", "role": "buyer", "text": "EMI please", "start": 0}],
    )
    meeting_apply_analysis(meeting=meeting, analysis=ANALYSIS)
    colleague = make_seller(agency)
    period = {"start_date": "2026-11-01", "end_date": "2026-11-17"}
    assert client_for(colleague).get(HITS, period).json()["trackers"][0]["hits"] == 0
    assert client_for(colleague).get(HITS, {"meeting_id": str(meeting.pk)}).status_code == 404
    stranger = make_seller(other_agency, role=Role.ADMIN)
    assert client_for(stranger).get(HITS, {"meeting_id": str(meeting.pk)}).status_code == 404
    assert client_for(stranger).get(HITS, period).json()["trackers"] == []


def test_a_new_tracker_counts_in_recent_calls(
    agency, seller, manager, client_for, django_capture_on_commit_callbacks
):
    meeting = make_meeting(
        seller,
        start=ist(2026, 11, 10, 10),
        transcription=[{"speaker": "B", "role": "buyer", "text": "Any discount?", "start": 0}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(manager).post(URL, {"name": "Pricing", "phrases": ["discount"]}, format="json")
    assert TrackerHit.objects.filter(meeting=meeting, phrase="discount").count() == 1


def test_trackers_in_agency_settings_become_rows(agency):
    import importlib

    migration = importlib.import_module("agencies.migrations.0010_keyword_trackers")
    agency.settings = {
        "keyword_trackers": {"competitors": ["Star Health", " star  health "], "x": 3}
    }
    agency.save()
    migration.trackers_from_settings(apps, None)
    assert list(Tracker.objects.values_list("name", "phrases")) == [
        ("competitors", ["Star Health"])
    ]
