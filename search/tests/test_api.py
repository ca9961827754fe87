"""POST /api/search/ and /api/search/answer: shapes, errors, access rules, throttling, logging."""

from datetime import timedelta

import pytest
from django.utils import timezone
from model_bakery import baker
from rest_framework.throttling import ScopedRateThrottle

from meetings.tests.meeting_factories import make_buyer, make_meeting, transcript
from products.models import Product
from search.index import search_index_rebuild_agency
from search.models import SearchQueryLog
from sellers.models import Role

pytestmark = pytest.mark.django_db

SEARCH = "/api/search/"
ANSWER = "/api/search/answer"
RESULT_KEYS = {
    "id",
    "type",
    "text",
    "meta",
    "agency_id",
    "meeting_id",
    "buyer_id",
    "product_id",
    "seller_id",
    "distance",
}


@pytest.fixture
def people(agency, other_agency, admin, manager, seller, make_seller):
    """Acme: admin, manager ← {seller, tara}, uma (no manager), a guest; Other: bea."""
    tara = make_seller(agency, name="Tara Seller", manager=manager)
    uma = make_seller(agency, name="Uma Seller")
    guest = make_seller(agency, name="Gus Guest", role=Role.GUEST)
    bea = make_seller(other_agency, name="Bea Other")
    everyone = {
        "admin": admin,
        "manager": manager,
        "seller": seller,
        "tara": tara,
        "uma": uma,
        "guest": guest,
        "bea": bea,
    }
    meetings = {}
    for name, person in everyone.items():
        buyer = make_buyer(person.agency, name=f"Buyer of {name}")
        meetings[name] = make_meeting(
            person,
            buyer=buyer,
            start=timezone.now() - timedelta(days=2),
            title=f"Zebra crossing plot with {name}",
            transcription=transcript(("buyer", f"I like the zebra crossing plot, says {name}.")),
        )
    baker.make(Product, agency=agency, name="Zebra Gardens", description="Plots near the zebra")
    baker.make(Product, agency=other_agency, name="Zebra Towers", description="Other zebra")
    search_index_rebuild_agency(agency_id=agency.pk)
    search_index_rebuild_agency(agency_id=other_agency.pk)
    return everyone, meetings


def _search(client, **body):
    body.setdefault("query", "zebra crossing plot")
    body.setdefault("k", 100)
    return client.post(SEARCH, body, format="json")


def _owners(results, people_by_id):
    """Who each meeting/buyer/seller document belongs to, by fixture name."""
    return {people_by_id[r["seller_id"]] for r in results if r["seller_id"]}


def test_search_happy_path_has_the_contract_shape(people, client_for):
    everyone, meetings = people
    response = _search(client_for(everyone["seller"]))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results"}
    assert body["results"]
    for result in body["results"]:
        assert set(result) == RESULT_KEYS
        assert result["agency_id"] == str(everyone["seller"].agency_id)
        assert result["distance"] is None or 0 <= result["distance"] <= 2
    top = body["results"][0]
    assert top["meeting_id"] == str(meetings["seller"].pk)


def test_k_is_clamped_and_defaults_to_eight(people, client_for):
    everyone, _ = people
    admin = client_for(everyone["admin"])
    assert len(_search(admin, k=None).json()["results"]) == 8
    assert len(_search(admin, k=0).json()["results"]) == 1
    assert len(_search(admin, k=1000).json()["results"]) <= 100


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("seller", {"seller"}),
        ("guest", {"guest"}),
        ("uma", {"uma"}),
        ("manager", {"manager", "seller", "tara"}),
        ("admin", {"admin", "manager", "seller", "tara", "uma", "guest"}),
        ("bea", {"bea"}),
    ],
)
def test_results_obey_the_access_rules(people, client_for, role, visible):
    everyone, meetings = people
    names = {str(person.pk): name for name, person in everyone.items()}
    results = _search(client_for(everyone[role])).json()["results"]
    assert _owners(results, names) == visible
    assert {r["meeting_id"] for r in results if r["meeting_id"]} == {
        str(meetings[name].pk) for name in visible
    }
    # Buyer profiles: only the buyers of visible calls; products: the own agency's catalogue.
    buyers = {r["buyer_id"] for r in results if r["type"] == "buyer.profile"}
    assert buyers == {str(meetings[name].buyer_id) for name in visible}
    products = {r["meta"]["name"] for r in results if r["type"] == "product.catalog"}
    assert products == ({"Zebra Towers"} if role == "bea" else {"Zebra Gardens"})
    assert {r["agency_id"] for r in results} == {str(everyone[role].agency_id)}


def test_seller_id_narrows_to_that_seller(people, client_for):
    everyone, meetings = people
    results = _search(client_for(everyone["manager"]), seller_id=str(everyone["tara"].pk))
    results = results.json()["results"]
    assert results and {r["seller_id"] for r in results} == {str(everyone["tara"].pk)}
    assert results[0]["meeting_id"] == str(meetings["tara"].pk)


@pytest.mark.parametrize(
    ("actor", "target"), [("manager", "uma"), ("seller", "tara"), ("admin", "bea")]
)
def test_seller_id_outside_what_the_caller_sees_is_404(people, client_for, actor, target):
    everyone, _ = people
    for url in (SEARCH, ANSWER):
        response = client_for(everyone[actor]).post(
            url, {"query": "zebra", "seller_id": str(everyone[target].pk)}, format="json"
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Seller not found", "code": "seller_not_found"}
    assert not SearchQueryLog.objects.exists()


def test_types_filter(people, client_for):
    everyone, _ = people
    results = _search(client_for(everyone["admin"]), types=["product.catalog"]).json()["results"]
    assert [r["type"] for r in results] == ["product.catalog"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": "x", "k": "many"},
        {"query": "x", "types": ["meeting.secret"]},
        {"query": "x", "types": "meeting.qa"},
        {"query": "x", "seller_id": "not-a-uuid"},
        {"query": "x" * 1001},
    ],
)
def test_bad_input_is_400_and_logs_nothing(people, client_for, body):
    everyone, _ = people
    for url in (SEARCH, ANSWER):
        response = client_for(everyone["seller"]).post(url, body, format="json")
        assert response.status_code == 400
        assert set(response.json()) == {"error", "code", "details"}
    assert not SearchQueryLog.objects.exists()


def test_empty_query_answers_empty(people, client_for):
    everyone, _ = people
    client = client_for(everyone["seller"])
    assert client.post(SEARCH, {"query": "  "}, format="json").json() == {"results": []}
    assert client.post(ANSWER, {"query": ""}, format="json").json() == {
        "answer": "",
        "sources": [],
    }


def test_unauthenticated_is_401(api_client):
    for url in (SEARCH, ANSWER):
        response = api_client.post(url, {"query": "x"}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_staff_without_an_agency_is_403(client_for, staff):
    response = client_for(staff).post(SEARCH, {"query": "zebra"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "no_agency"


def test_every_query_is_logged(people, client_for):
    everyone, _ = people
    client = client_for(everyone["manager"])
    count = len(_search(client, k=5).json()["results"])
    client.post(ANSWER, {"query": "how many calls this week"}, format="json")
    search_log, answer_log = SearchQueryLog.objects.order_by("created_at")
    assert (search_log.endpoint, search_log.query, search_log.results_count) == (
        "search",
        "zebra crossing plot",
        count,
    )
    assert search_log.seller == everyone["manager"]
    assert search_log.agency_id == everyone["manager"].agency_id
    assert search_log.duration_ms >= 0
    assert (answer_log.endpoint, answer_log.intent) == ("answer", "count_calls")


def test_searches_are_throttled_per_user(people, client_for, monkeypatch):
    everyone, _ = people
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "search", "2/min")
    client = client_for(everyone["seller"])
    assert _search(client).status_code == 200
    assert client.post(ANSWER, {"query": "zebra"}, format="json").status_code == 200
    response = _search(client)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert "Retry-After" in response
    assert _search(client_for(everyone["tara"])).status_code == 200  # another user


def test_search_query_count_is_constant(
    people, client_for, django_assert_max_num_queries, agency, seller
):
    everyone, _ = people
    client = client_for(everyone["manager"])
    _search(client)  # warms this worker's vector cache
    with django_assert_max_num_queries(12):
        assert _search(client).status_code == 200
    for index in range(40):
        make_meeting(
            seller,
            start=timezone.now() - timedelta(days=1),
            title=f"Zebra plot visit {index}",
            transcription=transcript(("buyer", f"zebra crossing plot visit {index}")),
        )
    search_index_rebuild_agency(agency_id=agency.pk)
    _search(client)
    with django_assert_max_num_queries(12):
        assert len(_search(client).json()["results"]) == 100


def test_a_buyer_someone_added_is_in_their_search_as_in_their_buyer_list(
    people, client_for, agency
):
    everyone, _ = people
    created = client_for(everyone["tara"]).post(
        "/api/buyers/create",
        {"name": "Zebra Crossing Estates", "phone": "+919876500011"},
        format="json",
    )
    assert created.status_code == 201
    buyer_id = created.json()["buyer"]["id"]
    search_index_rebuild_agency(agency_id=agency.pk)

    def profile_found(who):
        results = _search(client_for(everyone[who]), query="Zebra Crossing Estates").json()
        return buyer_id in {
            r["buyer_id"] for r in results["results"] if r["type"] == "buyer.profile"
        }

    # The same people find it here as in /api/buyers/all: its creator and whoever sees their data.
    for who, expected in [("tara", True), ("manager", True), ("admin", True), ("uma", False)]:
        assert profile_found(who) is expected, who
        listed = client_for(everyone[who]).get("/api/buyers/all").json()["buyers"]
        assert (buyer_id in {b["id"] for b in listed}) is expected, who
