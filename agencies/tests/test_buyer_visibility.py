"""Who sees which buyer: those a visible seller met, created in the app or contacted last.

A seller (or guest) sees their own buyers, a manager adds their team's, an admin the whole agency;
any other buyer answers every buyer endpoint exactly as a missing one does.
"""

import uuid
from datetime import timedelta

import pytest

from agencies.models import Buyer
from agencies.services import buyers_touch_contacts
from meetings.tests.factories import ist, make_action, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

T0 = ist(2025, 3, 10, 10)
READS = ("profile", "call_history", "product_catalogue", "actions/count", "actions")


@pytest.fixture
def people(agency, other_agency, make_seller, admin, manager, seller):
    return {
        "admin": admin,
        "manager": manager,
        "seller": seller,  # in the manager's team
        "teammate": make_seller(agency, manager=manager, name="Tara Teammate"),
        "colleague": make_seller(agency, name="Cyrus Colleague"),  # in no one's team
        "guest": make_seller(agency, role="guest", name="Gita Guest"),
        "outsider": make_seller(other_agency, role="admin", name="Otto Outsider"),
    }


@pytest.fixture
def buyers(agency, other_agency, people):
    """One buyer per way of being someone's; every name contains "Ramesh" for the search."""

    def buyer(name: str, **fields) -> Buyer:
        return make_buyer(agency, name=f"Ramesh {name}", risks=[{"risk": name}], **fields)

    met = buyer("Met")
    make_meeting(people["seller"], buyer=met, start=T0)
    # A later meeting of the colleague makes them the last contact: the seller keeps the buyer.
    make_meeting(people["colleague"], buyer=met, start=T0 + timedelta(days=1))
    created = buyer("Created", created_by=people["seller"])
    contacted = buyer("Contacted")  # by an app call, without a meeting
    buyers_touch_contacts(contacts={contacted.pk: (T0, people["seller"].pk)})
    team = buyer("Team")
    make_action(make_meeting(people["teammate"], buyer=team, start=T0))
    colleagues = buyer("Colleague")
    make_action(make_meeting(people["colleague"], buyer=colleagues, start=T0))
    guests = buyer("Guest")
    make_meeting(people["guest"], buyer=guests, start=T0)
    foreign = make_buyer(other_agency, name="Ramesh Foreign")
    make_meeting(people["outsider"], buyer=foreign, start=T0)
    return {
        "met": met,
        "created": created,
        "contacted": contacted,
        "team": team,
        "colleague": colleagues,
        "guest": guests,
        "nobody": buyer("Nobody"),  # never contacted, added by the ops console
        "foreign": foreign,
    }


VISIBLE = {
    "seller": {"met", "created", "contacted"},
    "teammate": {"team"},
    "manager": {"met", "created", "contacted", "team"},
    "colleague": {"met", "colleague"},
    "guest": {"guest"},
    "admin": {"met", "created", "contacted", "team", "colleague", "guest", "nobody"},
    "outsider": {"foreign"},
}


def missing_body(client, path: str, method: str = "get"):
    """What the endpoint answers for a buyer id that does not exist."""
    response = getattr(client, method)(f"/api/buyers/{path}/{uuid.uuid4()}", {}, format="json")
    assert response.status_code == 404
    return response.json()


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_the_list_shows_exactly_the_callers_buyers(client_for, people, buyers, role):
    body = client_for(people[role]).get("/api/buyers/all", {"limit": 100}).json()
    assert {row["id"] for row in body["buyers"]} == {str(buyers[name].pk) for name in VISIBLE[role]}
    assert body["pagination"]["total_count"] == len(VISIBLE[role])


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_every_read_answers_a_visible_buyer_and_404s_the_others(client_for, people, buyers, role):
    client = client_for(people[role])
    for path in READS:
        missing = missing_body(client, path)
        assert missing == {"error": "Buyer not found", "code": "buyer_not_found"}
        for name, buyer in buyers.items():
            response = client.get(f"/api/buyers/{path}/{buyer.pk}")
            if name in VISIBLE[role]:
                assert response.status_code == 200, (path, name)
            else:
                assert (response.status_code, response.json()) == (404, missing), (path, name)


@pytest.mark.parametrize("role", ["seller", "manager", "colleague", "admin", "outsider"])
def test_put_updates_a_visible_buyer_and_404s_the_others_writing_nothing(
    client_for, people, buyers, role
):
    client = client_for(people[role])
    missing = missing_body(client, "profile", "put")
    before = {buyer.pk: (buyer.risks, buyer.updated_at) for buyer in Buyer.objects.all()}
    for name, buyer in buyers.items():
        response = client.put(
            f"/api/buyers/profile/{buyer.pk}", {"risks": [{"risk": "new"}]}, format="json"
        )
        buyer.refresh_from_db()
        if name in VISIBLE[role]:
            assert response.status_code == 200, name
            assert buyer.risks == [{"risk": "new"}]
        else:
            assert (response.status_code, response.json()) == (404, missing), name
            assert (buyer.risks, buyer.updated_at) == before[buyer.pk], name


def test_an_invalid_put_on_another_sellers_buyer_is_404_not_400(client_for, people, buyers):
    response = client_for(people["seller"]).put(
        f"/api/buyers/profile/{buyers['colleague'].pk}", {"name": "x"}, format="json"
    )
    assert response.status_code == 404


def test_a_guest_reads_their_buyer_and_writes_nothing(client_for, people, buyers):
    client = client_for(people["guest"])
    own = buyers["guest"]
    assert client.get(f"/api/buyers/profile/{own.pk}").status_code == 200
    response = client.put(f"/api/buyers/profile/{own.pk}", {"risks": []}, format="json")
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.risks == [{"risk": "Guest"}]
    created = client.post(
        "/api/buyers/create", {"name": "Zoya", "phone": "+919877700000"}, format="json"
    )
    assert created.status_code == 403
    assert not Buyer.objects.filter(name="Zoya").exists()


def test_a_created_buyer_is_its_creators_and_their_managers(client_for, people, buyers):
    response = client_for(people["seller"]).post(
        "/api/buyers/create", {"name": "Zoya", "phone": "+919877700000"}, format="json"
    )
    assert response.status_code == 201
    buyer = Buyer.objects.get(pk=response.json()["buyer"]["id"])
    assert buyer.created_by == people["seller"]
    url = f"/api/buyers/profile/{buyer.pk}"
    for role, status in (("seller", 200), ("manager", 200), ("admin", 200), ("colleague", 404)):
        assert client_for(people[role]).get(url).status_code == status, role


def test_creating_an_invisible_buyers_phone_is_still_a_conflict(client_for, people, buyers):
    # The (agency, phone) constraint leaves no other answer; the body tells nothing more.
    response = client_for(people["seller"]).post(
        "/api/buyers/create",
        {"name": "Someone", "phone": buyers["colleague"].phone},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": "A buyer with this phone already exists",
        "code": "buyer_exists",
    }


def test_the_creator_leaving_keeps_the_buyer(people, buyers):
    people["seller"].delete()
    buyers["created"].refresh_from_db()
    assert buyers["created"].created_by is None


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_search_finds_only_the_callers_buyers(client_for, people, buyers, role):
    body = (
        client_for(people[role])
        .get("/api/buyers/search", {"q": "Ramesh", "limit": 50, "suggestion_limit": 10})
        .json()
    )
    expected = {buyers[name] for name in VISIBLE[role]}
    assert {row["id"] for row in body["results"]} == {str(buyer.pk) for buyer in expected}
    assert set(body["suggestions"]) == {buyer.name for buyer in expected}
    assert body["total_count"] == len(expected)


def test_cached_searches_are_not_shared_across_scopes(client_for, people, buyers):
    def found(role: str) -> set[str]:
        body = client_for(people[role]).get("/api/buyers/search", {"q": "Ramesh"}).json()
        return {row["id"] for row in body["results"]}

    seller_sees = {str(buyers[name].pk) for name in VISIBLE["seller"]}
    admin_sees = {str(buyers[name].pk) for name in VISIBLE["admin"]}
    assert found("admin") == admin_sees
    assert found("seller") == seller_sees  # not the admin's cached answer
    assert found("manager") == seller_sees | {str(buyers["team"].pk)}
    assert found("admin") == admin_sees


def test_the_scoped_list_runs_constant_queries(
    client_for, agency, make_seller, manager, seller, django_assert_max_num_queries
):
    team = [seller, *(make_seller(agency, manager=manager) for _ in range(3))]
    colleague = make_seller(agency)
    for index in range(40):
        shared = make_buyer(agency, name=f"Shared {index}")
        for member in team:  # many meetings per buyer: still one row each
            make_meeting(member, buyer=shared, start=T0 + timedelta(minutes=index))
        make_meeting(colleague, buyer=make_buyer(agency), start=T0)
        make_buyer(agency, created_by=team[index % 4])
        make_buyer(agency, last_contacted_by=team[index % 4])
    client = client_for(manager)
    with django_assert_max_num_queries(4):  # the caller, their team, the count, the page
        body = client.get("/api/buyers/all", {"limit": 100}).json()
    assert body["pagination"]["total_count"] == 120
    assert len(body["buyers"]) == 100
    assert len({row["id"] for row in body["buyers"]}) == 100
