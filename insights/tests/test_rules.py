"""Every score component and warning kind on the hand-checked book (see conftest.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from model_bakery import baker

from actions.models import ActionStatus
from agencies.models import Buyer
from calls.models import AppCallStatus
from insights.models import BuyerInsight, DealWarning
from insights.services import agency_insights_refresh, buyer_insights_refresh
from insights.tests.conftest import NEGOTIATION, stage
from meetings.tests.factories import ist, make_app_call, make_meeting

pytestmark = pytest.mark.django_db


def refresh(*buyers):
    buyer_insights_refresh(buyer_ids=[b.pk for b in buyers])


def warnings_of(buyer) -> dict:
    return {w.kind: w for w in DealWarning.objects.filter(buyer=buyer)}


def test_a_buyer_with_everything_wrong_scores_each_component(book, seller):
    refresh(book.a)
    insight = BuyerInsight.objects.get(buyer=book.a)
    points = {r["code"]: r["points"] for r in insight.reasons}
    assert points == {
        "overdue_action": 44,
        "deal_stage": 20,
        "cadence": 30,
        "unanswered_calls": 15,
        "open_objections": 5,
        "negative_trend": 10,
        "lifecycle": 3,  # a new buyer is a lead
    }
    assert insight.score == 127
    assert insight.seller == seller and insight.deal_stage == NEGOTIATION
    assert insight.next_action_id == book.a_overdue.pk
    assert insight.last_contacted_at == ist(2026, 10, 15, 10)
    overdue = next(r for r in insight.reasons if r["code"] == "overdue_action")
    assert overdue["text"] == "'Send revised quote' was due 2026-11-10, 7 days ago"
    assert overdue["evidence"]["action_id"] == str(book.a_overdue.pk)
    assert overdue["evidence"]["meeting_id"] == str(book.a_meetings[-1].pk)
    calls = next(r for r in insight.reasons if r["code"] == "unanswered_calls")
    assert calls["evidence"]["app_call_ids"] == [str(c.pk) for c in book.a_calls]
    objections = next(r for r in insight.reasons if r["code"] == "open_objections")
    assert objections["evidence"]["quote"] == "Star Health quoted less"
    assert [r["points"] for r in insight.reasons] == sorted(
        (r["points"] for r in insight.reasons), reverse=True
    )  # the biggest reason first


def test_every_warning_kind_with_its_start_and_evidence(book):
    refresh(book.a, book.b)
    found = warnings_of(book.a)
    assert {kind: w.since for kind, w in found.items()} == {
        "overdue_action": ist(2026, 11, 10, 18),
        "ghosted": ist(2026, 11, 12, 12),
        "no_activity": ist(2026, 11, 14, 10),
        "stalled": ist(2026, 11, 15, 10),
        "competitor_mentioned": ist(2026, 10, 15, 10),
        "negative_trend": ist(2026, 10, 15, 10),
    }
    assert found["competitor_mentioned"].evidence["quote"] == "Star Health quoted less"
    assert found["competitor_mentioned"].detail == "Star Health came up in the last call"
    assert found["negative_trend"].evidence["sentiments"] == [0.6, 0.2, -0.2]
    assert found["stalled"].detail == f"In '{NEGOTIATION}' for 48 days"
    assert found["ghosted"].evidence["app_call_ids"] == [str(c.pk) for c in book.a_calls]
    b = warnings_of(book.b)
    assert set(b) == {"pricing_not_discussed"}
    assert b["pricing_not_discussed"].since == ist(2026, 11, 16, 15)
    assert b["pricing_not_discussed"].evidence["meeting_ids"] == [str(book.b_meeting.pk)]


def test_a_soon_due_action_and_the_stage_make_the_score(book):
    refresh(book.b)
    insight = BuyerInsight.objects.get(buyer=book.b)
    assert {r["code"]: r["points"] for r in insight.reasons} == {
        "due_soon": 20,
        "deal_stage": 20,
        "lifecycle": 3,
    }
    due = next(r for r in insight.reasons if r["code"] == "due_soon")
    assert due["text"] == "'Send the forms' is due 2026-11-19"
    stage_reason = next(r for r in insight.reasons if r["code"] == "deal_stage")
    assert stage_reason["evidence"]["quote"] == "We are ready to sign if the paperwork is simple"


def test_a_won_deal_is_not_chased(book):
    refresh(book.c)
    assert BuyerInsight.objects.get(buyer=book.c).score == 0
    assert not DealWarning.objects.filter(buyer=book.c).exists()


def test_warnings_clear_themselves_when_their_cause_goes_away(book, seller, clock):
    refresh(book.a, book.b)
    # The seller gets through, talks price and the buyer sounds happier; the action is done.
    book.a_overdue.status = ActionStatus.COMPLETED
    book.a_overdue.save()
    make_app_call(seller, buyer_number=book.a.phone, start=ist(2026, 11, 18, 10), seconds=300)
    make_meeting(
        seller,
        buyer=book.a,
        start=ist(2026, 11, 18, 10),
        deal_stage=stage("Likely Won"),
        analysis_extras={"sentiment": {"overall": 0.7, "label": "positive"}},
    )
    book.b_meeting.transcription = [
        {"speaker": "A", "role": "buyer", "text": "Can you do a better price?", "start": 0}
    ]
    book.b_meeting.save()
    refresh(book.a, book.b)
    assert warnings_of(book.a) == {}
    assert warnings_of(book.b) == {}
    assert BuyerInsight.objects.get(buyer=book.a).score == 0


def test_a_warning_keeps_its_row_and_start_while_its_cause_lasts(book, clock):
    refresh(book.a)
    first = warnings_of(book.a)["overdue_action"]
    clock.shift(timedelta(days=1))
    refresh(book.a)
    again = warnings_of(book.a)["overdue_action"]
    assert (again.pk, again.since) == (first.pk, first.since)
    assert again.updated_at > first.updated_at


def test_ghosted_needs_three_unanswered_calls_in_a_row(book, seller):
    make_app_call(
        seller,
        buyer_number=book.b.phone,
        start=ist(2026, 11, 17, 9),
        seconds=0,
        status=AppCallStatus.NOT_ANSWERED,
    )
    make_app_call(
        seller,
        buyer_number=book.b.phone,
        start=ist(2026, 11, 17, 12),
        seconds=0,
        status=AppCallStatus.NOT_ANSWERED,
    )
    refresh(book.b)
    assert "ghosted" not in warnings_of(book.b)
    make_app_call(
        seller,
        buyer_number=book.b.phone,
        start=ist(2026, 11, 18, 9),
        seconds=0,
        status=AppCallStatus.NOT_ANSWERED,
    )
    refresh(book.b)
    assert warnings_of(book.b)["ghosted"].since == ist(2026, 11, 18, 9)


def test_agency_settings_change_the_weights_and_thresholds(book, agency):
    agency.settings = {
        "insights": {"weights": {"deal_stage": 99, "stage_negotiation": 50}, "stalled_days": 60}
    }
    agency.save()
    refresh(book.a, book.b)
    assert BuyerInsight.objects.get(buyer=book.b).score == 73  # due soon 20 + stage 50 + lead 3
    assert "stalled" not in warnings_of(book.a)  # 48 days < 60


def test_bad_agency_settings_fall_back_to_the_defaults(book, agency):
    agency.settings = {
        "insights": {"weights": {"due_soon": "lots", "stage_negotiation": -5}, "stalled_days": 0}
    }
    agency.save()
    refresh(book.b)
    assert BuyerInsight.objects.get(buyer=book.b).score == 43


def test_a_buyer_nobody_contacted_or_added_gets_no_insight(agency):
    lonely = baker.make(Buyer, agency=agency, phone="+919800000001")
    buyer_insights_refresh(buyer_ids=[lonely.pk])
    assert not BuyerInsight.objects.filter(buyer=lonely).exists()


def test_the_nightly_pass_refreshes_every_buyer_of_the_agency(book, agency, other_agency):
    assert agency_insights_refresh(agency_id=agency.pk) == 3
    assert set(BuyerInsight.objects.values_list("buyer_id", flat=True)) == {
        book.a.pk,
        book.b.pk,
        book.c.pk,
    }
    agency_insights_refresh(agency_id=other_agency.pk)
    assert warnings_of(book.d).keys() == {"overdue_action", "pricing_not_discussed"}


def test_time_alone_makes_an_action_overdue(book, clock):
    refresh(book.b)
    assert "overdue_action" not in warnings_of(book.b)
    clock.move_to(ist(2026, 11, 20, 9))
    refresh(book.b)
    assert warnings_of(book.b)["overdue_action"].since == book.b_action.due_date


def test_refreshing_is_idempotent(book):
    refresh(book.a, book.b)
    before = sorted(DealWarning.objects.values_list("buyer_id", "kind", "since", "detail"))
    refresh(book.a, book.b)
    refresh(book.b, book.a)
    assert sorted(DealWarning.objects.values_list("buyer_id", "kind", "since", "detail")) == before
    assert BuyerInsight.objects.count() == 2


def test_a_deleted_meeting_is_forgotten(book):
    refresh(book.a)
    for meeting in book.a_meetings:
        meeting.delete()  # its actions go with it
    refresh(book.a)
    assert warnings_of(book.a).keys() == {"ghosted"}
    assert timezone.now() > ist(2026, 11, 12)


def test_the_buyers_lifecycle_adds_its_points(book):
    Buyer.objects.filter(pk=book.b.pk).update(lifecycle="negotiating")
    refresh(book.b)
    reasons = {r["code"]: r for r in BuyerInsight.objects.get(buyer=book.b).reasons}
    assert reasons["lifecycle"]["points"] == 10
    assert reasons["lifecycle"]["text"] == "Lifecycle: negotiating"
    Buyer.objects.filter(pk=book.b.pk).update(lifecycle="customer")
    refresh(book.b)
    insight = BuyerInsight.objects.get(buyer=book.b)
    assert {r["code"] for r in insight.reasons} == {"due_soon"}  # a customer is not chased
    assert not DealWarning.objects.filter(buyer=book.b).exists()


def test_a_deleted_buyer_has_no_insight_and_a_merged_number_counts_for_the_kept(book, seller):
    refresh(book.a, book.b)
    Buyer.objects.filter(pk=book.a.pk).update(deleted_at=timezone.now())
    refresh(book.a)
    assert not BuyerInsight.objects.filter(buyer=book.a).exists()
    assert not DealWarning.objects.filter(buyer=book.a).exists()
    # A's number now belongs to B (as a merge leaves it): A's three unanswered calls are B's.
    from agencies.models import BuyerPhone

    BuyerPhone.objects.create(agency=book.b.agency, buyer=book.b, phone=book.a.phone)
    for hour, call in enumerate(book.a_calls, start=9):
        call.start_time = ist(2026, 11, 17, hour)
        call.save()
    refresh(book.b)
    assert warnings_of(book.b)["ghosted"].evidence["app_call_ids"] == [
        str(c.pk) for c in book.a_calls
    ]
