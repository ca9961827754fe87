"""call_history paged in the database: the pages are exactly the bare list, sliced."""

from datetime import timedelta

import pytest

from meetings.models import JobStatus
from meetings.tests.factories import ist, make_app_call, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

URL = "/api/meetings/call_history"
DAY = {"start_date": "2025-03-10", "end_date": "2025-03-10"}


@pytest.fixture
def mixed_history(seller, agency):
    """Meetings, app calls of each status, a reconciled and a duplicate call, equal start times."""
    buyer = make_buyer(agency, name="Asha", phone="+919811100000")
    start = ist(2025, 3, 10, 12)
    meeting = make_meeting(seller, buyer=buyer, start=start)
    make_app_call(seller, buyer_number=buyer.phone, start=start, meeting=meeting)
    make_app_call(seller, buyer_number=buyer.phone, start=start - timedelta(seconds=5))
    for minute in range(4):
        moment = ist(2025, 3, 10, 9, minute)
        make_meeting(seller, start=moment)
        make_app_call(seller, buyer_number=buyer.phone, start=moment, status="Missed")
    make_app_call(seller, buyer_number="+919811100001", start=start, status="Not Answered")
    make_app_call(seller, buyer_number=buyer.phone, start=start + timedelta(seconds=6))


@pytest.mark.usefixtures("mixed_history")
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_pages_are_slices_of_the_bare_list(client_for, seller, limit):
    client = client_for(seller)
    full = client.get(URL, DAY).json()
    assert len(full) == 11  # the reconciled and the duplicate app calls are left out
    pages, number = [], 1
    while True:
        body = client.get(URL, {**DAY, "page": number, "limit": limit}).json()
        assert body["pagination"]["total_count"] == len(full)
        pages += body["data"]
        if not body["pagination"]["has_next"]:
            break
        number += 1
    assert pages == full


@pytest.mark.usefixtures("mixed_history")
def test_a_page_past_the_end_is_empty(client_for, seller):
    body = client_for(seller).get(URL, {**DAY, "page": 9, "limit": 5}).json()
    assert body["data"] == []
    assert body["pagination"]["total_count"] == 11
    assert body["pagination"]["has_previous"] is True


def test_an_empty_history_pages_to_nothing(client_for, seller):
    body = client_for(seller).get(URL, {**DAY, "page": 1}).json()
    assert body == {
        "data": [],
        "pagination": {
            "current_page": 1,
            "total_pages": 1,
            "total_count": 0,
            "limit": 50,
            "has_next": False,
            "has_previous": False,
        },
    }


def test_a_meeting_outside_the_range_still_hides_its_twin_inside(client_for, seller, agency):
    """A meeting at 23:59:58 and its app call at 00:00:01 are one call: it shows on the
    meeting's day only, whichever day is asked for."""
    buyer = make_buyer(agency, phone="+919811100002")
    meeting = make_meeting(seller, buyer=buyer, start=ist(2025, 3, 9, 23, 59, 58))
    make_app_call(seller, buyer_number=buyer.phone, start=ist(2025, 3, 10, 0, 0, 1))
    client = client_for(seller)
    assert client.get(URL, DAY).json() == []
    assert client.get(URL, {**DAY, "limit": 5}).json()["data"] == []
    both_days = {"start_date": "2025-03-09", "end_date": "2025-03-10"}
    for params in (both_days, {**both_days, "limit": 5}):
        body = client.get(URL, params).json()
        rows = body["data"] if "limit" in params else body
        assert [row["id"] for row in rows] == [str(meeting.pk)]


def test_paged_queries_are_constant_on_a_big_team(
    client_for, manager, make_seller, agency, django_assert_max_num_queries
):
    team = [make_seller(agency, manager=manager) for _ in range(6)]
    for index, member in enumerate(team):
        for minute in range(8):
            start = ist(2025, 3, 10, 8 + index, minute)
            make_meeting(member, start=start, job_status=JobStatus.INIT)
            make_app_call(member, buyer_number=f"+91990000{index}{minute:03d}", start=start)
    params = {**DAY, "team_member_ids": [str(member.pk) for member in team], "limit": 20}
    client = client_for(manager)
    # auth + team map + count + page keys + meetings + app calls + buyer names
    with django_assert_max_num_queries(7):
        body = client.get(URL, {**params, "page": 2}).json()
    assert body["pagination"]["total_count"] == 96
    assert len(body["data"]) == 20
