from datetime import timedelta

import pytest

from actions.models import Action
from meetings.tests.factories import ist, make_action, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

LIST = "/api/actions/"
UPDATE = "/api/actions/update"
ACTION_KEYS = {
    "id",
    "title",
    "due_date",
    "status",
    "description",
    "meeting_id",
    "meeting_title",
    "meeting_buyer_number",
    "meeting_buyer_name",
    "meeting_seller_name",
    "reasoning",
    "signals",
    "created_at",
    "buyer_id",
    "buyer_name",
    "buyer_phone",
    "buyer_company_name",
}


@pytest.fixture
def meeting(seller, agency):
    buyer = make_buyer(agency, phone="+919822233344", name="Bina", company_name="Bina Co")
    return make_meeting(seller, buyer=buyer, start=ist(2025, 3, 10, 10))


class TestActionList:
    def test_shape_and_order(self, client_for, seller, meeting):
        undated = make_action(meeting, title="undated")
        later = make_action(meeting, title="later", due_date=ist(2025, 3, 20))
        sooner = make_action(
            meeting, title="sooner", due_date=ist(2025, 3, 12), description={"text": "Call"}
        )
        response = client_for(seller).get(LIST)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"actions", "total_count", "filtered_by_status", "filtered_by_meeting"}
        assert [a["id"] for a in body["actions"]] == [
            str(sooner.pk),
            str(later.pk),
            str(undated.pk),
        ]
        assert body["total_count"] == 3
        first = body["actions"][0]
        assert set(first) == ACTION_KEYS
        assert first["due_date"] == "2025-03-12T00:00:00+05:30"
        assert first["description"] == {"text": "Call"}
        assert first["meeting_buyer_number"] == "+91 9822233344"
        assert first["buyer_phone"] == "00919822233344"
        assert (first["buyer_name"], first["buyer_company_name"]) == ("Bina", "Bina Co")
        assert first["meeting_seller_name"] == seller.name

    def test_filters(self, client_for, seller, meeting):
        done = make_action(meeting, status="completed")
        make_action(meeting)
        other_meeting = make_meeting(seller, start=ist(2025, 3, 11, 10))
        elsewhere = make_action(other_meeting)
        body = client_for(seller).get(LIST, {"status": "COMPLETED"}).json()
        assert [a["id"] for a in body["actions"]] == [str(done.pk)]
        assert body["filtered_by_status"] == "completed"
        body = client_for(seller).get(LIST, {"meeting_id": str(other_meeting.pk)}).json()
        assert [a["id"] for a in body["actions"]] == [str(elsewhere.pk)]
        assert body["filtered_by_meeting"] == str(other_meeting.pk)
        assert client_for(seller).get(LIST, {"status": "open"}).status_code == 400

    def test_team_member_ids(self, client_for, seller, manager, make_seller, agency, meeting):
        make_action(meeting)
        body = client_for(manager).get(LIST, {"team_member_ids": str(seller.pk)}).json()
        assert body["total_count"] == 1
        assert client_for(manager).get(LIST).json()["total_count"] == 0  # own by default
        outsider = make_seller(agency)
        assert (
            client_for(manager).get(LIST, {"team_member_ids": str(outsider.pk)}).status_code == 403
        )
        assert client_for(seller).get(LIST, {"team_member_ids": str(seller.pk)}).status_code == 403

    def test_pagination_and_constant_queries(
        self, client_for, seller, meeting, django_assert_max_num_queries
    ):
        for day in range(40):
            make_action(meeting, due_date=ist(2025, 4, 1) + timedelta(days=day))
        client = client_for(seller)
        with django_assert_max_num_queries(2):
            assert len(client.get(LIST).json()["actions"]) == 40
        with django_assert_max_num_queries(3):
            body = client.get(LIST, {"page": 2, "limit": 15}).json()
        assert len(body["actions"]) == 15
        assert body["total_count"] == 40
        assert body["pagination"]["total_pages"] == 3


class TestActionDetail:
    def test_get_and_access(self, client_for, seller, manager, make_seller, agency, other_agency):
        meeting = make_meeting(seller, start=ist(2025, 3, 10, 10))
        action = make_action(meeting)
        url = f"/api/actions/{action.pk}"
        body = client_for(seller).get(url).json()
        assert set(body) == ACTION_KEYS
        assert client_for(manager).get(url).status_code == 200
        for outsider in (make_seller(agency), make_seller(other_agency, role="admin")):
            response = client_for(outsider).get(url)
            assert response.status_code == 404
            assert response.json()["error"] == "Action not found or unauthorized"

    def test_patch(self, client_for, seller, meeting):
        action = make_action(meeting)
        url = f"/api/actions/{action.pk}"
        response = client_for(seller).patch(
            url,
            {
                "title": "Visit site",
                "description": "Bring the plan",
                "due_date": "2025-04-01T10:00:00+05:30",
            },
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["title"] == "Visit site"
        assert response.json()["description"] == {"text": "Bring the plan"}
        action.refresh_from_db()
        assert action.due_date == ist(2025, 4, 1, 10)

    @pytest.mark.parametrize(
        "payload",
        [{}, {"status": "completed"}, {"title": ""}, {"due_date": "soon"}, {"description": 5}],
    )
    def test_patch_bad_input(self, client_for, seller, meeting, payload):
        action = make_action(meeting, title="Keep")
        response = client_for(seller).patch(f"/api/actions/{action.pk}", payload, format="json")
        assert response.status_code == 400
        action.refresh_from_db()
        assert action.title == "Keep"

    @pytest.mark.parametrize(
        "due_date", ["0001-01-01", "9999-12-31T23:59:59-05:00", "1969-12-31T23:59:59+05:30"]
    )
    def test_patch_due_date_out_of_range(self, client_for, seller, meeting, due_date):
        """Year 1 (or 9999 behind UTC) overflowed in DRF's UTC conversion: a 500."""
        action = make_action(meeting, due_date=ist(2025, 4, 1, 10))
        response = client_for(seller).patch(
            f"/api/actions/{action.pk}", {"due_date": due_date}, format="json"
        )
        assert response.status_code == 400
        body = response.json()
        assert body["details"] == {"due_date": ["Date must be between 1970-01-01 and 2100-12-31."]}
        assert set(body) == {"error", "code", "details"}
        action.refresh_from_db()
        assert action.due_date == ist(2025, 4, 1, 10)

    def test_patch_due_date_at_the_bounds(self, client_for, seller, meeting):
        action = make_action(meeting)
        url = f"/api/actions/{action.pk}"
        for due_date in ("1970-01-01T00:00:00+05:30", "2100-12-31T23:59:59-05:00"):
            response = client_for(seller).patch(url, {"due_date": due_date}, format="json")
            assert response.status_code == 200, due_date

    def test_patch_refused(self, client_for, seller, make_seller, agency, meeting):
        action = make_action(meeting, title="Keep")
        url = f"/api/actions/{action.pk}"
        guest = make_seller(agency, role="guest")
        assert client_for(guest).patch(url, {"title": "x"}, format="json").status_code == 403
        colleague = make_seller(agency)
        assert client_for(colleague).patch(url, {"title": "x"}, format="json").status_code == 404


class TestBulkUpdate:
    def test_updates_all(self, client_for, seller, meeting):
        first, second = make_action(meeting), make_action(meeting)
        payload = [
            {"id": str(first.pk), "status": "completed"},
            {"id": str(second.pk).upper(), "status": "Completed"},
            {"id": str(first.pk), "status": "completed"},  # a duplicate is fine
        ]
        response = client_for(seller).post(UPDATE, payload, format="json")
        assert response.status_code == 200
        assert response.json() == {"message": "Updated 2 actions successfully"}
        assert set(Action.objects.values_list("status", flat=True)) == {"completed"}

    def test_manager_updates_the_team(self, client_for, manager, meeting):
        action = make_action(meeting)
        payload = [{"id": str(action.pk), "status": "completed"}]
        assert client_for(manager).post(UPDATE, payload, format="json").status_code == 200
        action.refresh_from_db()
        assert action.status == "completed"

    def test_all_or_nothing(self, client_for, seller, make_seller, agency, other_agency, meeting):
        mine = make_action(meeting)
        colleague_meeting = make_meeting(make_seller(agency), start=ist(2025, 3, 10, 10))
        theirs = make_action(colleague_meeting)
        foreign = make_action(make_meeting(make_seller(other_agency), start=ist(2025, 3, 10)))
        for other in (theirs, foreign):
            payload = [
                {"id": str(mine.pk), "status": "completed"},
                {"id": str(other.pk), "status": "completed"},
            ]
            response = client_for(seller).post(UPDATE, payload, format="json")
            assert response.status_code == 404
            assert str(other.pk) in response.json()["error"]
        assert set(Action.objects.values_list("status", flat=True)) == {"pending"}

    @pytest.mark.parametrize(
        "payload",
        [
            {"id": "x", "status": "completed"},
            [],
            [{"id": "00000000-0000-0000-0000-000000000000"}],
            [{"id": "00000000-0000-0000-0000-000000000000", "status": "done"}],
            [{"id": "nope", "status": "completed"}],
        ],
    )
    def test_bad_input_is_400(self, client_for, seller, payload):
        response = client_for(seller).post(UPDATE, payload, format="json")
        assert response.status_code == 400
        assert set(response.json()) >= {"error", "code"}

    def test_guest_cannot_update(self, client_for, make_seller, agency):
        guest = make_seller(agency, role="guest")
        meeting = make_meeting(guest, start=ist(2025, 3, 10))
        action = make_action(meeting)
        payload = [{"id": str(action.pk), "status": "completed"}]
        assert client_for(guest).post(UPDATE, payload, format="json").status_code == 403
        assert client_for(guest).get(LIST).status_code == 200

    def test_constant_queries(self, client_for, seller, meeting, django_assert_max_num_queries):
        actions = [make_action(meeting) for _ in range(30)]
        payload = [{"id": str(a.pk), "status": "completed"} for a in actions]
        client = client_for(seller)
        with django_assert_max_num_queries(6):
            assert client.post(UPDATE, payload, format="json").status_code == 200
