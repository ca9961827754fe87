"""Lifecycle moved by the analysis (forward only, never over a person), dormancy after N days,
and the details said on calls folded into the profile (a person's edit wins)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from agencies.book_services import buyers_mark_dormant, lifecycle_target
from agencies.enrichment import phones_heard, profile_extract
from agencies.models import Buyer, BuyerLifecycleChange
from agencies.tasks import mark_dormant_buyers
from meetings.analysis_services import meeting_apply_analysis
from meetings.tests.factories import ist, make_buyer, make_meeting
from meetings.tests.meeting_factories import transcript
from meetings.tests.test_services import analysis

pytestmark = pytest.mark.django_db

DEMO = "Solution Presentation / Demo"
NEGOTIATION = "Negotiation / Approval"
WON, LOST = "Likely Won", "Likely Lost"
DISCOVERY = "Discovery & Lead Qualification"


@pytest.mark.parametrize(
    ("current", "stage", "target"),
    [
        ("lead", DEMO, "prospect"),
        ("lead", NEGOTIATION, "negotiating"),
        ("lead", WON, "customer"),
        ("lead", LOST, "lost"),
        ("lead", DISCOVERY, None),
        ("prospect", DEMO, None),
        ("negotiating", DEMO, None),  # never backward
        ("customer", NEGOTIATION, None),
        ("customer", LOST, None),  # a customer is not lost by one call
        ("negotiating", LOST, "lost"),
        ("lost", DEMO, None),
        ("lost", WON, "customer"),
        ("prospect", None, None),
        ("prospect", "Something else", None),
    ],
)
def test_lifecycle_target(current, stage, target):
    assert lifecycle_target(current=current, deal_stage=stage) == target


def _analyse(meeting, stage, **overrides):
    meeting_apply_analysis(
        meeting=meeting,
        analysis=analysis(
            deal_stage={"deal_stage": stage, "stage_signals": [], "stage_reasoning": []},
            **overrides,
        ),
    )


def test_analysis_moves_forward_with_the_meeting_as_cause(book):
    _analyse(book.meeting, NEGOTIATION)
    book.buyer.refresh_from_db()
    assert book.buyer.lifecycle == "negotiating"
    change = BuyerLifecycleChange.objects.get(buyer=book.buyer)
    assert (change.cause, change.meeting_id, change.actor) == ("analysis", book.meeting.pk, None)
    later = make_meeting(book.seller, buyer=book.buyer, start=ist(2026, 11, 15, 10))
    _analyse(later, DEMO)  # a later demo does not move it back
    book.buyer.refresh_from_db()
    assert book.buyer.lifecycle == "negotiating"
    assert BuyerLifecycleChange.objects.filter(buyer=book.buyer).count() == 1


def test_analysis_never_overrides_a_persons_choice(book, client_for):
    client_for(book.seller).patch(
        f"/api/buyers/profile/{book.buyer.pk}", {"lifecycle": "lead"}, format="json"
    )
    _analyse(book.meeting, WON)
    book.buyer.refresh_from_db()
    assert (book.buyer.lifecycle, book.buyer.lifecycle_cause) == ("lead", "user")


def test_dormant_after_the_agencys_days_then_back_on_the_next_call(book, clock):
    _analyse(book.meeting, DEMO)
    book.agency.buyer_dormant_after_days = 30
    book.agency.save()
    assert buyers_mark_dormant() == 0  # last call 8 days ago
    clock.move_to(timezone.now() + timedelta(days=22, hours=12))  # Uma's buyer: 29.5 days
    assert buyers_mark_dormant(dry_run=True) == 1
    out = StringIO()
    call_command("mark_dormant_buyers", "--dry-run", stdout=out)
    assert "Would mark 1" in out.getvalue()
    assert mark_dormant_buyers.delay().get() == 1  # the beat task
    book.buyer.refresh_from_db()
    assert book.buyer.lifecycle == "dormant"
    change = BuyerLifecycleChange.objects.filter(buyer=book.buyer).first()
    assert (change.from_state, change.to_state, change.cause) == ("prospect", "dormant", "system")
    assert buyers_mark_dormant() == 0  # once

    call = make_meeting(book.seller, buyer=book.buyer, start=timezone.now())
    _analyse(call, DISCOVERY)
    book.buyer.refresh_from_db()
    assert book.buyer.lifecycle == "prospect"  # back where it was; discovery is not forward


def test_dormancy_spares_customers_lost_and_recent_human_choices(book, client_for, clock):
    customer = make_buyer(book.agency, lifecycle="customer")
    chosen = make_buyer(book.agency, created_by=book.seller)
    Buyer.objects.update(last_contacted_at=ist(2026, 8, 1, 10))
    client_for(book.seller).patch(
        f"/api/buyers/profile/{chosen.pk}", {"lifecycle": "negotiating"}, format="json"
    )
    buyers_mark_dormant()
    states = dict(Buyer.objects.values_list("pk", "lifecycle"))
    assert states[customer.pk] == "customer"
    assert states[chosen.pk] == "negotiating"  # chosen today
    assert states[book.buyer.pk] == "dormant"
    clock.move_to(timezone.now() + timedelta(days=61))
    buyers_mark_dormant()
    assert Buyer.objects.get(pk=chosen.pk).lifecycle == "dormant"


# --- Enrichment ----------------------------------------------------------------------------------

CALL = transcript(
    ("seller", "Hello, this is Priya from Acme Realty."),
    ("buyer", "I am looking for a 2 BHK flat in Whitefield."),
    ("buyer", "My budget is around 85 lakhs."),
    ("buyer", "We want to move within three months."),
    ("buyer", "I will discuss it with my wife before deciding."),
    ("buyer", "You can also reach me on 98450 12345."),
)


def test_profile_extract_from_the_transcript():
    found = profile_extract(analysis={}, transcript=CALL)
    assert found == {
        "requirement": "2 BHK flat",
        "location": "Whitefield",
        "budget": "85 lakhs",
        "timeline": "within three months",
        "decision_makers": "wife",
    }
    assert phones_heard(CALL, region="IN") == ["+919845012345"]


def test_profile_extract_prefers_the_payload_then_facts():
    found = profile_extract(
        analysis={
            "buyer_profile": {"facts": {"budget": "1.2 crore"}},
            "facts": [
                {"subject": "Buyer", "predicate": "location", "object": "Koramangala"},
                {"subject": "Buyer", "predicate": "timeline", "object": "before Diwali"},
            ],
        },
        transcript=CALL,
    )
    assert found["budget"] == "1.2 crore"
    assert found["location"] == "Koramangala"
    assert found["timeline"] == "before Diwali"
    assert found["requirement"] == "2 BHK flat"  # the transcript fills the rest


def test_profile_extract_insurance_requirement():
    lines = transcript(("buyer", "I need a term insurance plan for my family."))
    assert profile_extract(analysis={}, transcript=lines)["requirement"] == "term insurance plan"


def test_enrichment_records_meeting_and_date_and_a_person_wins(book, client_for):
    book.meeting.transcription = CALL
    book.meeting.save()
    _analyse(book.meeting, DISCOVERY)
    book.buyer.refresh_from_db()
    budget = book.buyer.profile["budget"]
    assert budget == {
        "value": "85 lakhs",
        "source": "analysis",
        "meeting_id": str(book.meeting.pk),
        "date": "2026-11-10",
    }
    assert book.buyer.profile["phones_heard"]["value"] == ["+919845012345"]

    client_for(book.seller).patch(
        f"/api/buyers/profile/{book.buyer.pk}", {"profile": {"budget": "70 lakhs"}}, format="json"
    )
    later = make_meeting(
        book.seller,
        buyer=book.buyer,
        start=ist(2026, 11, 16, 10),
        transcription=transcript(
            ("buyer", "My budget is 95 lakhs now, in Koramangala."),
        ),
    )
    _analyse(later, DISCOVERY)
    book.buyer.refresh_from_db()
    assert book.buyer.profile["budget"]["value"] == "70 lakhs"  # the person's edit wins
    assert book.buyer.profile["budget"]["source"] == "user"
    assert book.buyer.profile["location"]["value"] == "Koramangala"  # a newer meeting's
    assert book.buyer.profile["location"]["meeting_id"] == str(later.pk)
    # Re-analysing the older meeting does not undo the newer one.
    _analyse(book.meeting, DISCOVERY)
    book.buyer.refresh_from_db()
    assert book.buyer.profile["location"]["value"] == "Koramangala"
    rows = client_for(book.admin).get(f"/api/buyers/history/{book.buyer.pk}").json()["history"]
    assert rows[0]["action"] == "analysis" and rows[0]["actor"]["kind"] == "analysis"
    enriched = next(row for row in rows if "location" in str(row["fields"].get("profile")))
    assert enriched["action"] == "analysis"
    assert enriched["fields"]["profile"]["after"]["location"]["meeting_id"] == str(later.pk)
