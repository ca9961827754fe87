"""The insights endpoints: scope by role and agency, constant queries, fresh after changes."""

import pytest
from model_bakery import baker

from actions.models import Action
from insights import tasks
from insights.models import BuyerInsight, DealWarning
from insights.services import agency_insights_refresh
from meetings.tests.factories import ist, make_action, make_buyer, make_meeting
from sellers.models import Role

pytestmark = pytest.mark.django_db

CALL_NEXT = "/api/buyers/call_next"
WARNINGS = "/api/buyers/warnings"


@pytest.fixture
def refreshed(book, agency, other_agency):
    agency_insights_refresh(agency_id=agency.pk)
    agency_insights_refresh(agency_id=other_agency.pk)
    return book


def test_a_seller_sees_their_buyers_best_first_with_reasons(refreshed, client_for, seller):
    body = client_for(seller).get(CALL_NEXT).json()
    assert [row["buyer_name"] for row in body["data"]] == ["Arjun", "Bina"]
    top = body["data"][0]
    assert top["score"] == 127 and top["deal_stage"] == "Negotiation / Approval"
    assert top["next_action"] == {
        "id": str(refreshed.a_overdue.pk),
        "title": "Send revised quote",
        "due_date": "2026-11-10T18:00:00+05:30",
    }
    assert all(r["text"] and "evidence" in r for r in top["reasons"])
    assert body["pagination"]["total_count"] == 2


def test_a_manager_sees_the_team_or_the_members_asked_for(refreshed, client_for, manager):
    client = client_for(manager)
    assert [r["buyer_name"] for r in client.get(CALL_NEXT).json()["data"]] == ["Arjun", "Bina"]
    only_tara = client.get(CALL_NEXT, {"team_member_ids": str(refreshed.tara.pk)}).json()
    assert only_tara["data"] == []  # Tara's only buyer is won


def test_another_agencys_seller_answers_404(refreshed, client_for, manager):
    client = client_for(manager)
    for url in (CALL_NEXT, WARNINGS):
        response = client.get(url, {"team_member_ids": str(refreshed.bea.pk)})
        assert response.status_code == 404, url
    assert client.get(WARNINGS, {"seller_id": str(refreshed.bea.pk)}).status_code == 404


def test_a_seller_cannot_ask_for_a_team(refreshed, client_for, seller):
    response = client_for(seller).get(CALL_NEXT, {"team_member_ids": str(refreshed.tara.pk)})
    assert response.status_code == 403


def test_warnings_filter_by_kind_and_seller(refreshed, client_for, manager, seller):
    client = client_for(manager)
    rows = client.get(WARNINGS).json()["data"]
    assert {(r["buyer_name"], r["kind"]) for r in rows} == {
        ("Arjun", kind)
        for kind in (
            "overdue_action",
            "ghosted",
            "no_activity",
            "stalled",
            "competitor_mentioned",
            "negative_trend",
        )
    } | {("Bina", "pricing_not_discussed")}
    ghosted = client.get(WARNINGS, {"kind": "ghosted"}).json()["data"]
    assert [(r["buyer_id"], r["seller_id"]) for r in ghosted] == [
        (str(refreshed.a.pk), str(seller.pk))
    ]
    assert ghosted[0]["since"] == "2026-11-12T12:00:00+05:30"
    assert ghosted[0]["evidence"]["app_call_ids"]
    by_tara = client.get(WARNINGS, {"seller_id": str(refreshed.tara.pk)}).json()
    assert by_tara["data"] == []
    assert client.get(WARNINGS, {"kind": "bogus"}).status_code == 400


def test_another_agency_never_sees_these_warnings(refreshed, client_for, make_seller, other_agency):
    admin_b = make_seller(other_agency, role=Role.ADMIN)
    rows = client_for(admin_b).get(WARNINGS).json()["data"]
    assert {r["buyer_name"] for r in rows} == {"Dev"}


def test_lists_run_a_constant_number_of_queries(
    refreshed, agency, client_for, manager, seller, django_assert_max_num_queries
):
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        assert client.get(CALL_NEXT).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(WARNINGS).status_code == 200
    for n in range(15):
        buyer = make_buyer(agency, name=f"Extra {n}")
        meeting = make_meeting(seller, buyer=buyer, start=ist(2026, 11, 1, 10))
        make_action(meeting, title=f"Call back {n}", due_date=ist(2026, 11, 5, 18))
    agency_insights_refresh(agency_id=agency.pk)
    with django_assert_max_num_queries(8):
        body = client.get(CALL_NEXT).json()
    assert body["pagination"]["total_count"] == 17
    with django_assert_max_num_queries(8):
        assert len(client.get(WARNINGS).json()["data"]) > 20


def test_bad_page_answers_400(refreshed, client_for, seller):
    assert client_for(seller).get(CALL_NEXT, {"page": "0"}).status_code == 400


def test_a_change_refreshes_its_buyer_after_commit(
    book, seller, django_capture_on_commit_callbacks
):
    assert not BuyerInsight.objects.filter(buyer=book.b).exists()
    with django_capture_on_commit_callbacks(execute=True):
        baker.make(
            Action,
            meeting=book.b_meeting,
            seller=seller,
            buyer=book.b,
            title="Visit the site",
            due_date=ist(2026, 11, 1, 18),
        )
    assert DealWarning.objects.filter(buyer=book.b, kind="overdue_action").exists()


def test_a_bulk_status_change_refreshes_too(
    book, seller, client_for, django_capture_on_commit_callbacks
):
    agency_insights_refresh(agency_id=seller.agency_id)
    assert DealWarning.objects.filter(buyer=book.a, kind="overdue_action").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(seller).post(
            "/api/actions/update",
            [{"id": str(book.a_overdue.pk), "status": "completed"}],
            format="json",
        )
    assert response.status_code == 200, response.content
    assert not DealWarning.objects.filter(buyer=book.a, kind="overdue_action").exists()


def test_the_nightly_task_refreshes_all_agencies(book):
    assert tasks.refresh_all_insights() == 4
    assert DealWarning.objects.filter(buyer=book.d).exists()


def test_a_deleted_buyer_leaves_both_lists(refreshed, client_for, seller, manager):
    from django.utils import timezone

    from agencies.models import Buyer

    Buyer.objects.filter(pk=refreshed.a.pk).update(deleted_at=timezone.now())
    names = [r["buyer_name"] for r in client_for(seller).get(CALL_NEXT).json()["data"]]
    assert names == ["Bina"]
    warned = {r["buyer_name"] for r in client_for(manager).get(WARNINGS).json()["data"]}
    assert warned == {"Bina"}
