"""The buyer book's API: edits, tags, notes, timeline, audit trail, delete, restore, duplicates,
merge — each access rule by role, another agency's ids, bad input with nothing written."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.models import ActionStatus
from agencies.models import Buyer, BuyerLifecycleChange, BuyerNote, BuyerPhone, BuyerTag
from meetings.tests.factories import ist, make_action, make_app_call, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

PROFILE = "/api/buyers/profile/{}"


def _who(book, name):
    return getattr(book, name)


# --- PATCH /api/buyers/profile/<id> -------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("seller", 200),
        ("manager", 200),
        ("admin", 200),
        ("guest", 403),
        ("tara", 404),  # a colleague who never dealt with the buyer
        ("uma", 404),
        ("bea", 404),  # another agency
    ],
)
def test_patch_access_by_role(book, client_for, role, status):
    response = client_for(_who(book, role)).patch(
        PROFILE.format(book.buyer.pk), {"lifecycle": "prospect"}, format="json"
    )
    assert response.status_code == status, response.content
    book.buyer.refresh_from_db()
    assert book.buyer.lifecycle == ("prospect" if status == 200 else "lead")
    if status != 200:
        assert set(response.json()) >= {"error", "code"}


def test_patch_another_agencys_buyer_is_404(book, client_for):
    response = client_for(book.admin).patch(
        PROFILE.format(book.beas_buyer.pk), {"name": "X"}, format="json"
    )
    assert response.status_code == 404
    book.beas_buyer.refresh_from_db()
    assert book.beas_buyer.name == "Other Buyer"


def test_patch_edits_everything_at_once_and_records_it(book, client_for):
    body = {
        "name": "Bina S. Shah",
        "lifecycle": "negotiating",
        "tags": ["  VIP   Client ", "vip client", "Whitefield"],
        "profile": {"budget": "90 lakhs", "location": "Whitefield"},
    }
    response = client_for(book.seller).patch(PROFILE.format(book.buyer.pk), body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["name"] == "Bina S. Shah"
    assert data["lifecycle"] == "negotiating"
    assert data["tags"] == ["vip client", "whitefield"]  # normalised, once each, sorted
    assert data["profile"]["budget"]["value"] == "90 lakhs"
    assert data["profile"]["budget"]["source"] == "user"
    change = BuyerLifecycleChange.objects.get(buyer=book.buyer)
    assert (change.from_state, change.to_state, change.cause) == ("lead", "negotiating", "user")
    assert change.actor == book.seller
    history = client_for(book.manager).get(f"/api/buyers/history/{book.buyer.pk}").json()
    edit = history["history"][0]
    assert edit["action"] == "edit"
    assert edit["actor"] == {"kind": "user", "id": str(book.seller.pk), "name": book.seller.name}
    assert edit["fields"]["name"] == {"before": "Bina Shah", "after": "Bina S. Shah"}
    assert edit["fields"]["tag_names"] == {"before": [], "after": ["vip client", "whitefield"]}
    assert edit["fields"]["lifecycle"] == {"before": "lead", "after": "negotiating"}


@pytest.mark.parametrize(
    "body",
    [
        {"lifecycle": "won"},
        {"tags": "vip"},
        {"tags": ["x" * 51]},
        {"tags": [f"t{i}" for i in range(21)]},
        {"email": "not-an-email"},
        {"profile": {"budget": "1", "shoe_size": "9"}},
        {"colour": "blue"},
        {"name": "ok", "lifecycle": "nope"},
        ["lifecycle"],
    ],
)
def test_patch_bad_input_is_400_and_writes_nothing(book, client_for, body):
    before = Buyer.history.filter(id=book.buyer.pk).count()
    response = client_for(book.seller).patch(PROFILE.format(book.buyer.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) >= {"error", "code"}
    book.buyer.refresh_from_db()
    assert (book.buyer.name, book.buyer.lifecycle, book.buyer.tag_names) == (
        "Bina Shah",
        "lead",
        [],
    )
    assert Buyer.history.filter(id=book.buyer.pk).count() == before
    assert not BuyerTag.objects.exists()


def test_tags_are_per_agency_and_filter_the_list(book, client_for):
    other = make_buyer(book.agency, name="Other", created_by=book.seller)
    client = client_for(book.seller)
    client.patch(PROFILE.format(book.buyer.pk), {"tags": ["VIP"]}, format="json")
    client.patch(PROFILE.format(other.pk), {"tags": ["cold"]}, format="json")
    client_for(book.bea).patch(PROFILE.format(book.beas_buyer.pk), {"tags": ["vip"]}, format="json")
    assert BuyerTag.objects.filter(name="vip").count() == 2  # one per agency
    rows = client.get("/api/buyers/all", {"tag": " Vip "}).json()["buyers"]
    assert [(r["id"], r["tags"]) for r in rows] == [(str(book.buyer.pk), ["vip"])]
    assert client.get("/api/buyers/all", {"tag": "nothing"}).json()["buyers"] == []


def test_lifecycle_filter(book, client_for):
    client = client_for(book.manager)
    client.patch(PROFILE.format(book.buyer.pk), {"lifecycle": "customer"}, format="json")
    rows = client.get("/api/buyers/all", {"lifecycle": "customer"}).json()["buyers"]
    assert [r["id"] for r in rows] == [str(book.buyer.pk)]
    assert client.get("/api/buyers/all", {"lifecycle": "lost"}).json()["buyers"] == []
    assert client.get("/api/buyers/all", {"lifecycle": "bogus"}).status_code == 400


def test_list_queries_are_constant_with_tags(book, client_for, django_assert_max_num_queries):
    client = client_for(book.admin)
    for index in range(30):
        buyer = make_buyer(book.agency, name=f"B{index}", created_by=book.seller)
        client.patch(PROFILE.format(buyer.pk), {"tags": ["vip", f"t{index}"]}, format="json")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/buyers/all", {"tag": "vip", "limit": 5})
    with django_assert_max_num_queries(len(few)):
        body = client.get("/api/buyers/all", {"tag": "vip", "limit": 100}).json()
    assert len(body["buyers"]) == 30


# --- Notes ---------------------------------------------------------------------------------------


def test_buyer_and_meeting_notes_show_in_profile_timeline_and_call_history(book, client_for):
    client = client_for(book.seller)
    response = client.post(f"/api/buyers/notes/{book.buyer.pk}", {"text": "Prefers mornings"})
    assert response.status_code == 201, response.content
    assert response.json()["author"]["id"] == str(book.seller.pk)
    client.post(f"/api/meetings/notes/{book.meeting.pk}", {"text": "Sent the brochure"})
    client.post(f"/api/meetings/notes/{book.meeting.pk}", {"text": "Asked for a site visit"})
    profile = client.get(PROFILE.format(book.buyer.pk)).json()
    assert [n["text"] for n in profile["notes"]] == [
        "Asked for a site visit",
        "Sent the brochure",
        "Prefers mornings",
    ]
    history = client.get("/api/meetings/call_history", {"time_frame": "this_month"}).json()
    [row] = [r for r in history if r["id"] == str(book.meeting.pk)]
    assert row["call_notes"] == "Asked for a site visit"  # the meeting's latest note
    timeline = client.get(f"/api/buyers/timeline/{book.buyer.pk}").json()
    notes = [e["data"]["text"] for e in timeline["events"] if e["type"] == "note"]
    assert notes == ["Asked for a site visit", "Sent the brochure", "Prefers mornings"]


def test_call_history_without_notes_still_answers_null(book, client_for):
    history = client_for(book.seller).get(
        "/api/meetings/call_history", {"time_frame": "this_month"}
    )
    assert {r["call_notes"] for r in history.json()} == {None}


def test_call_history_queries_stay_constant_with_notes(
    book, client_for, django_assert_max_num_queries
):
    client = client_for(book.seller)
    params = {"time_frame": "this_month"}
    with CaptureQueriesContext(connection) as few:
        client.get("/api/meetings/call_history", params)
    baseline = len(few)  # the log is reset by the next request
    for day in range(1, 16):
        meeting = make_meeting(book.seller, buyer=book.buyer, start=ist(2026, 11, day, 9))
        client.post(f"/api/meetings/notes/{meeting.pk}", {"text": f"note {day}"})
        make_app_call(book.seller, buyer_number=f"+91990000{day:04d}", start=ist(2026, 11, day, 15))
    with django_assert_max_num_queries(baseline):
        rows = client.get("/api/meetings/call_history", params).json()
    assert len([r for r in rows if r["call_notes"]]) == 15


@pytest.mark.parametrize(
    ("role", "status"),
    [("seller", 201), ("manager", 201), ("admin", 201), ("guest", 403), ("uma", 404), ("bea", 404)],
)
def test_note_access_by_role(book, client_for, role, status):
    client = client_for(_who(book, role))
    assert client.post(f"/api/buyers/notes/{book.buyer.pk}", {"text": "x"}).status_code == status
    assert (
        client.post(f"/api/meetings/notes/{book.meeting.pk}", {"text": "x"}).status_code == status
    )
    assert BuyerNote.objects.count() == (2 if status == 201 else 0)


@pytest.mark.parametrize("body", [{}, {"text": "   "}, {"text": "x" * 5001}, {"text": "a", "b": 1}])
def test_note_bad_input(book, client_for, body):
    response = client_for(book.seller).post(
        f"/api/buyers/notes/{book.buyer.pk}", body, format="json"
    )
    assert response.status_code == 400
    assert not BuyerNote.objects.exists()


# --- Timeline ------------------------------------------------------------------------------------


def test_timeline_has_every_kind_newest_first_with_actors(book, client_for, clock):
    client = client_for(book.seller)
    action = make_action(book.meeting, title="Send brochure")
    action.status = ActionStatus.COMPLETED
    action.save()
    client.patch(PROFILE.format(book.buyer.pk), {"lifecycle": "prospect"}, format="json")
    client.post(f"/api/buyers/notes/{book.buyer.pk}", {"text": "hello"})
    client.patch(PROFILE.format(book.buyer.pk), {"company_name": "Shah & Sons"}, format="json")
    body = client.get(f"/api/buyers/timeline/{book.buyer.pk}").json()
    types = [e["type"] for e in body["events"]]
    assert {"call", "action_created", "action_completed", "lifecycle", "note", "edit"} <= set(types)
    times = [e["occurred_at"] for e in body["events"]]
    assert times == sorted(times, reverse=True)
    call = next(e for e in body["events"] if e["type"] == "call")
    assert call["actor"]["id"] == str(book.seller.pk)
    assert call["data"]["meeting_id"] == str(book.meeting.pk)
    lifecycle = next(e for e in body["events"] if e["type"] == "lifecycle")
    assert lifecycle["data"] == {
        "from": "lead",
        "to": "prospect",
        "cause": "user",
        "meeting_id": None,
    }
    edit = next(e for e in body["events"] if e["type"] == "edit")
    assert edit["data"]["fields"]["company_name"]["after"] == "Shah & Sons"
    assert body["pagination"]["total_count"] == len(types)


def _events_of_every_kind(book, client, days):
    for day in days:
        meeting = make_meeting(book.seller, buyer=book.buyer, start=ist(2026, 10, day, 9))
        make_action(meeting, title=f"Do {day}", status=ActionStatus.COMPLETED)
        client.post(f"/api/meetings/notes/{meeting.pk}", {"text": f"n{day}"})
        client.patch(PROFILE.format(book.buyer.pk), {"tags": [f"t{day}"]}, format="json")
        lifecycle = "prospect" if day % 2 else "lead"
        client.patch(PROFILE.format(book.buyer.pk), {"lifecycle": lifecycle}, format="json")


def test_timeline_pages_in_constant_queries(book, client_for, django_assert_max_num_queries):
    client = client_for(book.seller)
    _events_of_every_kind(book, client, [1])
    twin = make_buyer(book.agency, last_contacted_by=book.seller)
    _merge(client_for(book.admin), book.buyer, twin)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/buyers/timeline/{book.buyer.pk}", {"limit": 100})
    baseline = len(few)
    _events_of_every_kind(book, client, range(2, 20))
    with django_assert_max_num_queries(baseline):
        body = client.get(f"/api/buyers/timeline/{book.buyer.pk}", {"limit": 100}).json()
    assert len(body["events"]) == 100
    page2 = client.get(f"/api/buyers/timeline/{book.buyer.pk}", {"limit": 100, "page": 2}).json()
    ids = {(e["type"], e["id"]) for e in body["events"]}
    assert not ids & {(e["type"], e["id"]) for e in page2["events"]}
    assert body["pagination"]["total_count"] == 100 + len(page2["events"])


def test_timeline_shows_only_calls_the_caller_may_see(book, client_for):
    make_meeting(book.tara, buyer=book.buyer, start=ist(2026, 11, 12, 10))
    seller_calls = [
        e
        for e in client_for(book.seller)
        .get(f"/api/buyers/timeline/{book.buyer.pk}")
        .json()["events"]
        if e["type"] == "call"
    ]
    manager_calls = [
        e
        for e in client_for(book.manager)
        .get(f"/api/buyers/timeline/{book.buyer.pk}")
        .json()["events"]
        if e["type"] == "call"
    ]
    assert len(seller_calls) == 1
    assert len(manager_calls) == 2


@pytest.mark.parametrize(("role", "status"), [("guest", 404), ("uma", 404), ("bea", 404)])
def test_timeline_of_an_invisible_buyer_is_404(book, client_for, role, status):
    response = client_for(_who(book, role)).get(f"/api/buyers/timeline/{book.buyer.pk}")
    assert response.status_code == status


def test_timeline_bad_page_is_400(book, client_for):
    response = client_for(book.seller).get(f"/api/buyers/timeline/{book.buyer.pk}", {"page": 0})
    assert response.status_code == 400


# --- Audit trail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("manager", 200), ("seller", 403), ("guest", 404), ("uma", 404), ("bea", 404)],
)
def test_history_access_by_role(book, client_for, role, status):
    assert client_for(_who(book, role)).get(f"/api/buyers/history/{book.buyer.pk}").status_code == (
        status
    )


def test_every_kind_of_write_is_an_audit_row(book, client_for, api_client, settings):
    client = client_for(book.admin)
    client.patch(PROFILE.format(book.buyer.pk), {"tags": ["vip"]}, format="json")
    client.post(f"/api/buyers/notes/{book.buyer.pk}", {"text": "n"})
    client.patch(PROFILE.format(book.buyer.pk), {"lifecycle": "lost"}, format="json")
    client.delete(PROFILE.format(book.buyer.pk))
    client.post(f"/api/buyers/restore/{book.buyer.pk}")
    settings.WORKER_SERVICE_TOKEN = "w" * 32
    api_client.put(
        PROFILE.format(book.buyer.pk),
        {"key_highlights": ["Wants a villa"]},
        format="json",
        HTTP_X_SERVICE_TOKEN="w" * 32,
    )
    rows = client.get(f"/api/buyers/history/{book.buyer.pk}").json()["history"]
    actions = [row["action"] for row in rows]
    assert actions[:6] == ["edit", "restore", "delete", "edit", "note", "tags"]
    assert rows[0]["actor"]["kind"] == "worker"
    assert rows[0]["fields"]["key_highlights"] == {"before": [], "after": ["Wants a villa"]}
    assert rows[2]["fields"]["deleted_by_id"]["after"] == str(book.admin.pk)
    assert rows[3]["fields"]["lifecycle"] == {"before": "lead", "after": "lost"}


# --- Delete and restore --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("manager", 200),  # the manager of the buyer's seller
        ("seller", 403),
        ("guest", 403),
        ("uma", 404),
        ("bea", 404),
    ],
)
def test_delete_access_by_role(book, client_for, role, status):
    response = client_for(_who(book, role)).delete(PROFILE.format(book.buyer.pk))
    assert response.status_code == status, response.content
    book.buyer.refresh_from_db()
    assert (book.buyer.deleted_at is not None) == (status == 200)


def test_manager_of_another_team_may_not_delete(book, client_for, make_seller):
    other_manager = make_seller(book.agency, role="manager", name="Other Manager")
    book.uma.manager = other_manager
    book.uma.save()
    response = client_for(other_manager).delete(PROFILE.format(book.buyer.pk))
    assert response.status_code == 404  # not a buyer they see
    assert client_for(other_manager).delete(PROFILE.format(book.umas_buyer.pk)).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("manager", 403), ("seller", 403), ("bea", 404)]
)
def test_restore_access_by_role(book, client_for, role, status):
    client_for(book.admin).delete(PROFILE.format(book.buyer.pk))
    response = client_for(_who(book, role)).post(f"/api/buyers/restore/{book.buyer.pk}")
    assert response.status_code == status
    book.buyer.refresh_from_db()
    assert (book.buyer.deleted_at is None) == (status == 200)


def test_restore_of_a_live_buyer_is_404(book, client_for):
    assert client_for(book.admin).post(f"/api/buyers/restore/{book.buyer.pk}").status_code == 404


def test_deleted_buyer_is_404_on_every_buyer_endpoint(book, client_for):
    client_for(book.admin).delete(PROFILE.format(book.buyer.pk))
    client = client_for(book.seller)
    for path in (
        "profile",
        "call_history",
        "product_catalogue",
        "actions/count",
        "actions",
        "timeline",
    ):
        assert client.get(f"/api/buyers/{path}/{book.buyer.pk}").status_code == 404, path
    assert client.post(f"/api/buyers/notes/{book.buyer.pk}", {"text": "x"}).status_code == 404
    assert client.post(f"/api/meetings/notes/{book.meeting.pk}", {"text": "x"}).status_code == 404


# --- Duplicates and merge ------------------------------------------------------------------------


def test_duplicates_are_grouped_with_reasons(book, client_for):
    agency = book.agency
    same_email = make_buyer(agency, email="BINA@example.com ", created_by=book.seller)
    same_name = make_buyer(
        agency, name="bina  shah", company_name="Shah builders", created_by=book.seller
    )
    heard = make_buyer(agency, name="Ravi", created_by=book.seller)
    heard_other = make_buyer(
        agency,
        created_by=book.seller,
        profile={"phones_heard": {"value": [heard.phone], "source": "analysis"}},
    )
    make_buyer(agency, name="Unrelated", created_by=book.seller)
    groups = client_for(book.seller).get("/api/buyers/duplicates").json()["groups"]
    assert len(groups) == 2
    first, second = groups
    ids = {b["id"] for b in first["buyers"]}
    assert ids == {str(book.buyer.pk), str(same_email.pk), str(same_name.pk)}
    assert [r["reason"] for r in first["reasons"]] == ["same_email", "same_name_and_company"]
    assert first["score"] == 0.9
    assert {b["id"] for b in second["buyers"]} == {str(heard.pk), str(heard_other.pk)}
    assert second["reasons"][0]["reason"] == "phone_heard"


def test_duplicates_only_among_visible_buyers(book, client_for):
    make_buyer(book.agency, email="bina@example.com", last_contacted_by=book.uma)
    assert client_for(book.seller).get("/api/buyers/duplicates").json()["groups"] == []
    assert len(client_for(book.admin).get("/api/buyers/duplicates").json()["groups"]) == 1


def _merge(client, keep, *merge):
    return client.post(
        "/api/buyers/merge",
        {"keep_id": str(keep.pk), "merge_ids": [str(b.pk) for b in merge]},
        format="json",
    )


def test_merge_moves_everything_and_routes_the_absorbed_number(book, client_for):
    from agencies.services import buyer_find_or_create

    twin = make_buyer(book.agency, name="", email="", last_contacted_by=book.tara)
    twin_meeting = make_meeting(book.tara, buyer=twin, start=ist(2026, 11, 12, 10))
    action = make_action(twin_meeting, title="Call back")
    client = client_for(book.manager)
    client.patch(
        PROFILE.format(twin.pk), {"tags": ["hot"], "lifecycle": "negotiating"}, format="json"
    )
    client.post(f"/api/buyers/notes/{twin.pk}", {"text": "twin note"})
    app_call = make_app_call(book.tara, buyer_number=twin.phone, start=ist(2026, 11, 13, 10))

    response = _merge(client, book.buyer, twin)
    assert response.status_code == 200, response.content
    assert response.json()["moved"]["meetings"] == 1
    twin_meeting.refresh_from_db()
    action.refresh_from_db()
    assert twin_meeting.buyer_id == action.buyer_id == book.buyer.pk
    assert BuyerNote.objects.get(text="twin note").buyer_id == book.buyer.pk
    book.buyer.refresh_from_db()
    assert book.buyer.tag_names == ["hot"]
    assert book.buyer.lifecycle == "negotiating"  # the furthest state of the merged buyers
    assert BuyerPhone.objects.get(phone=twin.phone).buyer_id == book.buyer.pk
    twin.refresh_from_db()
    assert twin.merged_into_id == book.buyer.pk
    assert twin.deleted_at is not None
    # The absorbed number's calls are the kept buyer's: old app calls, and any new call.
    history = client.get(f"/api/buyers/call_history/{book.buyer.pk}").json()
    assert {r["id"] for r in history} >= {str(app_call.pk), str(twin_meeting.pk)}
    assert buyer_find_or_create(phone=twin.phone, agency=book.agency).pk == book.buyer.pk
    profile = client.get(PROFILE.format(book.buyer.pk)).json()
    assert profile["alternate_phones"] == [f"+91 {twin.phone[3:]}"]
    assert client.get(PROFILE.format(twin.pk)).status_code == 404
    timeline = client.get(f"/api/buyers/timeline/{book.buyer.pk}").json()["events"]
    merge = next(e for e in timeline if e["type"] == "merge")
    assert merge["data"]["merged_ids"] == [str(twin.pk)]
    assert merge["actor"]["id"] == str(book.manager.pk)


def test_merge_is_all_or_nothing(book, client_for):
    twin = make_buyer(book.agency, last_contacted_by=book.seller)
    make_meeting(book.seller, buyer=twin, start=ist(2026, 11, 12, 10))
    response = _merge(client_for(book.admin), book.buyer, twin, book.beas_buyer)
    assert response.status_code == 404
    twin.refresh_from_db()
    assert twin.merged_into_id is None
    assert twin.meetings.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("manager", 403),  # sees both, but Uma (the shared buyer's seller) is not in the team
        ("seller", 403),
        ("guest", 403),
        ("tara", 404),
        ("bea", 404),
    ],
)
def test_merge_access_by_role(book, client_for, role, status):
    shared = make_buyer(book.agency)
    make_meeting(book.seller, buyer=shared, start=ist(2026, 11, 1, 10))
    Buyer.objects.filter(pk=shared.pk).update(
        last_contacted_by=book.uma, last_contacted_at=ist(2026, 11, 2, 10)
    )  # Uma rang last (no recording): she is the buyer's seller
    response = _merge(client_for(_who(book, role)), book.buyer, shared)
    assert response.status_code == status, response.content
    shared.refresh_from_db()
    assert (shared.merged_into_id is not None) == (status == 200)


def test_merge_of_a_buyer_the_manager_does_not_see_is_404(book, client_for):
    assert _merge(client_for(book.manager), book.buyer, book.umas_buyer).status_code == 404


def test_manager_of_every_seller_may_merge(book, client_for):
    twin = make_buyer(book.agency, last_contacted_by=book.tara)
    assert _merge(client_for(book.manager), book.buyer, twin).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"keep_id": "x", "merge_ids": []},
        {"keep_id": "00000000-0000-0000-0000-000000000001", "merge_ids": []},
        {"keep_id": "00000000-0000-0000-0000-000000000001", "merge_ids": "abc"},
    ],
)
def test_merge_bad_input(book, client_for, body):
    assert client_for(book.admin).post("/api/buyers/merge", body, format="json").status_code == 400


def test_merge_into_itself_is_400(book, client_for):
    assert _merge(client_for(book.admin), book.buyer, book.buyer).status_code == 400


def test_a_merged_buyer_cannot_be_restored(book, client_for):
    twin = make_buyer(book.agency, last_contacted_by=book.seller)
    _merge(client_for(book.admin), book.buyer, twin)
    response = client_for(book.admin).post(f"/api/buyers/restore/{twin.pk}")
    assert response.status_code == 409


def test_an_absorbed_numbers_app_call_twin_stays_hidden_after_the_merge(book, client_for):
    """An unlinked app call that is a meeting's twin shows once before and after a merge."""
    twin = make_buyer(book.agency, last_contacted_by=book.seller)
    start = ist(2026, 11, 12, 10)
    meeting = make_meeting(book.seller, buyer=twin, start=start)
    make_app_call(book.seller, buyer_number=twin.phone, start=start)  # the same call, unlinked
    client = client_for(book.seller)
    params = {"time_frame": "this_month"}
    before = client.get("/api/meetings/call_history", params).json()
    counts = client.get("/api/analytics/total_call_data", params).json()["total_data"]
    _merge(client_for(book.admin), book.buyer, twin)
    after = client.get("/api/meetings/call_history", params).json()
    assert [r["id"] for r in after] == [r["id"] for r in before]
    assert str(meeting.pk) in {r["id"] for r in after}
    merged = client.get("/api/analytics/total_call_data", params).json()["total_data"]
    assert merged["total_calls"] == counts["total_calls"]  # the twin still counts once
    assert (counts["unique_leads_engaged"], merged["unique_leads_engaged"]) == (2, 1)  # one person
