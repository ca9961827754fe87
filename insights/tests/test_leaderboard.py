"""The team scorecard on a small hand-checked set (period: 1-17 Nov 2026; before: 15-31 Oct).

| seller | in period (score)     | before     | actions done (on time) | lifecycle moves          |
| Sam    | 3 Nov 8.0, 10 Nov 6.0 | 20 Oct 5.0 | 2 (1; the other late)  | B: prospect->negotiating |
| Tara   | 5 Nov 9.0             | none       | 0                      | B: negotiating->lost (no)|
"""

import pytest
from time_machine import travel

from actions.models import ActionStatus
from actions.services import action_bulk_update_status
from agencies.models import BuyerLifecycleChange
from insights.models import DealWarning
from meetings.tests.factories import ist, make_action, make_buyer, make_meeting, make_performance
from sellers.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/analytics/leaderboard"
PERIOD = {"start_date": "2026-11-01", "end_date": "2026-11-17"}


@pytest.fixture
def team(agency, seller, manager, make_seller):
    tara = make_seller(agency, name="Tara Rao", manager=manager)
    b = make_buyer(agency, name="Bina")
    before = make_meeting(
        seller,
        buyer=b,
        start=ist(2026, 10, 20, 10),
        deal_stage={"deal_stage": "Solution Presentation / Demo"},
    )
    make_performance(before, intro=5)
    first = make_meeting(
        seller,
        buyer=b,
        start=ist(2026, 11, 3, 10),
        seconds=600,
        deal_stage={"deal_stage": "Negotiation / Approval"},
    )
    make_performance(first, intro=8)
    second = make_meeting(seller, start=ist(2026, 11, 10, 10), seconds=300)
    make_performance(second, intro=6)
    taras = make_meeting(tara, start=ist(2026, 11, 5, 10), seconds=60)
    make_performance(taras, intro=9)
    on_time = make_action(first, title="Send quote", due_date=ist(2026, 11, 6, 18))
    late = make_action(first, title="Call back", due_date=ist(2026, 11, 4, 18))
    for action in (on_time, late):
        with travel(ist(2026, 11, 5, 12), tick=False):
            action_bulk_update_status(
                actor=seller, items=[{"id": action.pk, "status": ActionStatus.COMPLETED}]
            )
    with travel(ist(2026, 11, 3, 11), tick=False):
        BuyerLifecycleChange.objects.create(
            buyer=b, from_state="prospect", to_state="negotiating", cause="analysis", meeting=first
        )
        # backwards, and before the period: neither counts
        BuyerLifecycleChange.objects.create(
            buyer=b, from_state="negotiating", to_state="lost", cause="user", actor=tara
        )
    with travel(ist(2026, 10, 20, 11), tick=False):
        BuyerLifecycleChange.objects.create(
            buyer=b, from_state="lead", to_state="prospect", cause="analysis", meeting=before
        )
    DealWarning.objects.create(
        agency=agency, buyer=b, seller=tara, kind="ghosted", since=ist(2026, 11, 1), detail="x"
    )
    return tara


def test_each_sellers_figures_and_rank(team, client_for, manager, seller):
    body = client_for(manager).get(URL, PERIOD).json()
    assert body["sort"] == "avg_call_score"
    rows = {row["seller_name"]: row for row in body["sellers"]}
    assert rows["Sam Seller"] == {
        "rank": 2,
        "seller_id": str(seller.pk),
        "seller_name": "Sam Seller",
        "calls": 2,
        "answered_calls": 2,
        "talk_time_seconds": 900,
        "avg_call_score": 7.0,
        "previous_avg_call_score": 5.0,
        "score_trend": 2.0,
        "actions_completed": 2,
        "actions_completed_on_time": 1,
        "buyers_moved_forward": 1,
        "warnings_open": 0,
    }
    assert rows["Tara Rao"]["rank"] == 1 and rows["Tara Rao"]["avg_call_score"] == 9.0
    assert rows["Tara Rao"]["score_trend"] is None and rows["Tara Rao"]["warnings_open"] == 1


def test_sorted_by_what_was_asked(team, client_for, manager):
    by_calls = client_for(manager).get(URL, {**PERIOD, "sort": "calls"}).json()["sellers"]
    assert [(r["seller_name"], r["rank"]) for r in by_calls] == [("Sam Seller", 1), ("Tara Rao", 2)]
    fewest = client_for(manager).get(URL, {**PERIOD, "sort": "warnings_open"}).json()["sellers"]
    assert [r["seller_name"] for r in fewest] == ["Sam Seller", "Tara Rao"]
    assert client_for(manager).get(URL, {"sort": "bogus"}).status_code == 400


def test_who_may_see_it(team, client_for, seller, make_seller, agency, other_agency, admin):
    assert client_for(seller).get(URL).status_code == 403
    guest = make_seller(agency, role=Role.GUEST)
    assert client_for(guest).get(URL).status_code == 403
    assert {r["seller_name"] for r in client_for(admin).get(URL, PERIOD).json()["sellers"]} >= {
        "Sam Seller",
        "Tara Rao",
    }
    stranger = make_seller(other_agency, name="Bea")
    response = client_for(admin).get(URL, {"team_member_ids": str(stranger.pk)})
    assert response.status_code == 404
    other_admin = make_seller(other_agency, role=Role.ADMIN)
    names = {r["seller_name"] for r in client_for(other_admin).get(URL, PERIOD).json()["sellers"]}
    assert "Sam Seller" not in names


def test_constant_queries_whatever_the_team_size(
    team, client_for, manager, agency, make_seller, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager)
    client.get(URL, PERIOD)  # rollups of the fixture's own writes refreshed once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, PERIOD).status_code == 200
        return len(captured)

    small = queries()
    for n in range(10):
        member = make_seller(agency, name=f"Member {n}", manager=manager)
        make_performance(make_meeting(member, start=ist(2026, 11, 7, 10)), intro=n % 10)
    client.get(URL, PERIOD)
    with django_assert_max_num_queries(small):
        assert len(client.get(URL, PERIOD).json()["sellers"]) == 12


def test_completing_an_action_records_when_and_keeps_it(team, seller, client_for):
    from actions.models import Action

    done = Action.objects.get(title="Send quote")
    assert done.status == ActionStatus.COMPLETED and done.completed_at == ist(2026, 11, 5, 12)
    client = client_for(seller)
    client.post("/api/actions/update", [{"id": str(done.pk), "status": "completed"}], format="json")
    done.refresh_from_db()
    assert done.completed_at == ist(2026, 11, 5, 12)  # done again is still done then
    client.post("/api/actions/update", [{"id": str(done.pk), "status": "pending"}], format="json")
    done.refresh_from_db()
    assert done.completed_at is None
