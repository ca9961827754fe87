import pytest

from calls.models import AppCallStatus
from meetings.tests.factories import ist, make_action, make_app_call, make_meeting

pytestmark = pytest.mark.django_db

URL = "/api/user/team"
RANGE = {"start_date": "2025-03-01", "end_date": "2025-03-31"}


def test_manager_sees_the_team_with_counts(client_for, manager, seller, make_seller, agency):
    deep = make_seller(agency, manager=seller, name="Zara Deep")
    make_seller(agency, name="Not In Team")
    meeting = make_meeting(seller, start=ist(2025, 3, 10))
    make_app_call(seller, buyer_number="+919800000001", start=ist(2025, 3, 11), meeting=meeting)
    make_app_call(
        seller,
        buyer_number="+919800000002",
        start=ist(2025, 3, 12),
        status=AppCallStatus.MISSED,
        seconds=0,
    )
    make_action(meeting)
    make_action(meeting, status="completed")
    make_action(make_meeting(seller, start=ist(2025, 2, 10)))  # pending, older call
    response = client_for(manager).get(URL, RANGE)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"manager_id", "date_range", "team", "total_count"}
    assert body["date_range"] == {"start_date": "2025-03-01", "end_date": "2025-03-31"}
    assert [member["id"] for member in body["team"]] == [str(seller.pk), str(deep.pk)]
    first = body["team"][0]
    assert first == {
        "id": str(seller.pk),
        "name": seller.name,
        "email": seller.email,
        "phone": f"+91 {seller.phone[3:]}",
        "role": "user",
        "manager_id": str(manager.pk),
        "calls_count": 2,  # the meeting (its linked app call not again) and the missed call
        "answered_calls_count": 1,
        "actions_count": 2,
        "pending_actions_count": 2,
    }
    assert body["team"][1]["calls_count"] == 0


def test_only_managers_and_admins(client_for, seller, admin, make_seller, agency):
    assert client_for(seller).get(URL).status_code == 403
    assert client_for(make_seller(agency, role="guest")).get(URL).status_code == 403
    body = client_for(admin).get(URL).json()
    assert str(seller.pk) in {member["id"] for member in body["team"]}


def test_constant_queries(client_for, manager, make_seller, agency, django_assert_max_num_queries):
    for _ in range(10):
        member = make_seller(agency, manager=manager)
        for day in range(1, 6):
            make_action(make_meeting(member, start=ist(2025, 3, day)))
    client = client_for(manager)
    client.get(URL, RANGE)  # refreshes the daily rollups of the calls written above first
    with django_assert_max_num_queries(6):
        body = client.get(URL, RANGE).json()
    assert body["total_count"] == 10
    assert {member["actions_count"] for member in body["team"]} == {5}
