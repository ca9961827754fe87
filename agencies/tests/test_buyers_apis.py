import pytest
from django.db import connection

from agencies.models import Buyer
from insights.buyer_selectors import trigram_similarity
from insights.throttles import BuyerSearchThrottle
from meetings.tests.factories import ist, make_action, make_app_call, make_buyer, make_meeting

pytestmark = pytest.mark.django_db

ROW_KEYS = {
    "id",
    "name",
    "email",
    "phone",
    "products_discussed",
    "last_contacted_by",
    "last_contacted_at",
    "company_name",
    # The buyer book (issue 15) adds these.
    "lifecycle",
    "tags",
}


@pytest.fixture
def buyer(agency):
    return make_buyer(
        agency,
        phone="+919833344455",
        name="Bina Shah",
        email="bina@example.com",
        company_name="Shah Builders",
        risks=[{"risk": "price"}],
        key_highlights=["Wants 2BHK"],
        products_discussed=[
            {"product_name": "Villa", "product_id": None, "interest_level": "high"}
        ],
    )


class TestBuyerList:
    def test_paginated_with_last_contact(self, client_for, seller, agency, buyer):
        quiet = make_buyer(agency, name="Aaron", created_by=seller)  # added in the app
        make_meeting(seller, buyer=buyer, start=ist(2025, 3, 1, 10))
        make_meeting(seller, buyer=buyer, start=ist(2025, 3, 5, 10))
        response = client_for(seller).get("/api/buyers/all", {"limit": 1})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"buyers", "pagination", "agency_id"}
        [row] = body["buyers"]
        assert set(row) == ROW_KEYS
        assert row["id"] == str(buyer.pk)
        assert row["last_contacted_at"] == "2025-03-05T10:00:00+05:30"
        assert row["last_contacted_by"] == seller.name
        assert row["phone"] == "+91 9833344455"
        assert body["pagination"]["total_count"] == 2
        second = client_for(seller).get("/api/buyers/all", {"limit": 1, "page": 2}).json()
        assert second["buyers"][0]["id"] == str(quiet.pk)
        assert second["buyers"][0]["last_contacted_at"] is None

    def test_agency_scoped_and_constant_queries(
        self, client_for, seller, agency, other_agency, django_assert_max_num_queries
    ):
        make_buyer(other_agency)
        for _ in range(30):
            make_meeting(seller, start=ist(2025, 3, 1, 10))
        client = client_for(seller)
        with django_assert_max_num_queries(3):
            body = client.get("/api/buyers/all", {"limit": 100}).json()
        assert body["pagination"]["total_count"] == 30
        assert client.get("/api/buyers/all", {"limit": 101}).status_code == 400


class TestBuyerProfile:
    def test_get(self, client_for, seller, buyer):
        make_meeting(
            seller,
            buyer=buyer,
            start=ist(2025, 3, 1),
            detected_products=[
                {"product_id": "p1", "product_name": "Plot"},
                {"product_id": None, "product_name": "Villa"},
            ],
        )
        make_meeting(
            seller,
            buyer=buyer,
            start=ist(2025, 3, 2),
            detected_products=[{"product_id": "p1", "product_name": "p1"}],
        )
        body = client_for(seller).get(f"/api/buyers/profile/{buyer.pk}").json()
        assert set(body) == ROW_KEYS | {
            "risks",
            "key_highlights",
            "profile",
            "notes",
            "alternate_phones",
        }
        assert body["products_discussed"] == [
            {"product_name": "Plot", "product_id": "p1"},
            {"product_name": "Villa", "product_id": None},
        ]
        assert body["risks"] == [{"risk": "price"}]

    def test_other_agency_is_404(self, client_for, make_seller, other_agency, buyer):
        outsider = make_seller(other_agency, role="admin")
        assert client_for(outsider).get(f"/api/buyers/profile/{buyer.pk}").status_code == 404
        response = client_for(outsider).put(
            f"/api/buyers/profile/{buyer.pk}", {"risks": []}, format="json"
        )
        assert response.status_code == 404

    def test_put(self, client_for, seller, buyer):
        make_meeting(seller, buyer=buyer, start=ist(2025, 3, 1))
        response = client_for(seller).put(
            f"/api/buyers/profile/{buyer.pk}",
            {"key_highlights": ["Budget 1Cr"], "risks": None},
            format="json",
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "id",
            "phone",
            "name",
            "email",
            "risks",
            "products_discussed",
            "key_highlights",
        }
        assert body["key_highlights"] == ["Budget 1Cr"]
        assert body["risks"] == [{"risk": "price"}]  # null is ignored

    @pytest.mark.parametrize("payload", [{"name": "x"}, {"risks": "high"}, ["risks"]])
    def test_put_bad_input(self, client_for, seller, buyer, payload):
        make_meeting(seller, buyer=buyer, start=ist(2025, 3, 1))
        response = client_for(seller).put(f"/api/buyers/profile/{buyer.pk}", payload, format="json")
        assert response.status_code == 400
        buyer.refresh_from_db()
        assert buyer.risks == [{"risk": "price"}]

    def test_a_worker_puts_with_the_service_token(self, api_client, buyer, settings):
        settings.WORKER_SERVICE_TOKEN = "worker-token-0123456789"
        url = f"/api/buyers/profile/{buyer.pk}"
        for header in (
            {"HTTP_AUTHORIZATION": "Bearer worker-token-0123456789"},
            {"HTTP_X_SERVICE_TOKEN": "worker-token-0123456789"},
        ):
            response = api_client.put(
                url, {"key_highlights": ["Site visit"]}, format="json", **header
            )
            assert response.status_code == 200, response.json()
        buyer.refresh_from_db()
        assert buyer.key_highlights == ["Site visit"]
        # The service token is for writes by workers: it does not read the app's views.
        assert (
            api_client.get(url, HTTP_X_SERVICE_TOKEN="worker-token-0123456789").status_code == 401
        )

    @pytest.mark.parametrize("token", ["", "wrong-token"])
    def test_a_worker_without_the_right_token_is_refused(self, api_client, buyer, settings, token):
        settings.WORKER_SERVICE_TOKEN = token and "worker-token-0123456789"
        response = api_client.put(
            f"/api/buyers/profile/{buyer.pk}",
            {"risks": []},
            format="json",
            HTTP_AUTHORIZATION=f"Bearer {token or 'worker-token-0123456789'}",
        )
        assert response.status_code == 401
        buyer.refresh_from_db()
        assert buyer.risks == [{"risk": "price"}]

    def test_guest_cannot_put(self, client_for, make_seller, agency, buyer):
        guest = make_seller(agency, role="guest")
        make_meeting(guest, buyer=buyer, start=ist(2025, 3, 1))
        url = f"/api/buyers/profile/{buyer.pk}"
        assert client_for(guest).put(url, {"risks": []}, format="json").status_code == 403
        assert client_for(guest).get(url).status_code == 200


class TestBuyerCallsProductsActions:
    def test_call_history_only_visible_sellers(
        self, client_for, seller, manager, make_seller, agency, buyer
    ):
        mine = make_meeting(seller, buyer=buyer, start=ist(2025, 3, 1, 10))
        app_call = make_app_call(seller, buyer_number=buyer.phone, start=ist(2025, 3, 2, 10))
        make_meeting(make_seller(agency), buyer=buyer, start=ist(2025, 3, 1, 11))
        response = client_for(seller).get(f"/api/buyers/call_history/{buyer.pk}")
        assert response.status_code == 200
        assert [r["id"] for r in response.json()] == [str(app_call.pk), str(mine.pk)]
        assert response.json()[0]["buyer_name"] == "Bina Shah"
        assert len(client_for(manager).get(f"/api/buyers/call_history/{buyer.pk}").json()) == 2

    def test_product_catalogue_with_interest(self, client_for, seller, buyer):
        for day, level in ((1, "high"), (2, "medium"), (3, None)):
            product = {"product_id": "p1", "product_name": "Plot"}
            if level:
                product["interest_level"] = level
            make_meeting(
                seller,
                buyer=buyer,
                start=ist(2025, 3, day),
                detected_products=[product, {"product_name": "Loan"}],
            )
        body = client_for(seller).get(f"/api/buyers/product_catalogue/{buyer.pk}").json()
        assert body == {
            "id": str(buyer.pk),
            "products_discussed": [
                {"product_name": "Plot", "product_id": "p1", "interest_level": "high"},
                {"product_name": "Loan", "product_id": None, "interest_level": "high"},
                {"product_name": "Villa", "product_id": None, "interest_level": "high"},
            ],
        }

    def test_actions_and_count(self, client_for, seller, make_seller, agency, other_agency, buyer):
        meeting = make_meeting(seller, buyer=buyer, start=ist(2025, 3, 1))
        done = make_action(meeting, status="completed", due_date=ist(2025, 3, 2))
        later = make_action(meeting, due_date=ist(2025, 3, 9))
        sooner = make_action(meeting, due_date=ist(2025, 3, 3))
        colleague_meeting = make_meeting(make_seller(agency), buyer=buyer, start=ist(2025, 3, 1))
        make_action(colleague_meeting)
        count = client_for(seller).get(f"/api/buyers/actions/count/{buyer.pk}").json()
        assert count == {"buyer_id": str(buyer.pk), "pending_actions_count": 2}
        body = client_for(seller).get(f"/api/buyers/actions/{buyer.pk}").json()
        assert set(body) == {"buyer_id", "actions", "total_count"}
        assert [a["id"] for a in body["actions"]] == [str(sooner.pk), str(later.pk), str(done.pk)]
        outsider = make_seller(other_agency)
        for path in ("actions", "actions/count", "call_history", "product_catalogue"):
            assert client_for(outsider).get(f"/api/buyers/{path}/{buyer.pk}").status_code == 404


class TestBuyerCreate:
    def test_create_and_duplicate(self, client_for, seller, agency):
        payload = {"name": "Chetan", "phone": "098444 55666", "company_name": "Chetan & Co"}
        response = client_for(seller).post("/api/buyers/create", payload, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["message"] == "Buyer created successfully"
        assert set(body["buyer"]) == {
            "id",
            "name",
            "phone",
            "email",
            "company_name",
            "agency_id",
            "risks",
            "products_discussed",
            "key_highlights",
        }
        assert body["buyer"]["phone"] == "+91 9844455666"
        assert body["buyer"]["agency_id"] == str(agency.pk)
        again = client_for(seller).post(
            "/api/buyers/create", {"name": "Other", "phone": "+919844455666"}, format="json"
        )
        assert again.status_code == 409
        assert again.json()["code"] == "buyer_exists"
        assert Buyer.objects.count() == 1

    def test_same_phone_in_another_agency_is_fine(self, client_for, seller, other_agency):
        make_buyer(other_agency, phone="+919844455666")
        payload = {"name": "Chetan", "phone": "+919844455666"}
        assert (
            client_for(seller).post("/api/buyers/create", payload, format="json").status_code == 201
        )

    def test_profile_fields_take_a_list_or_an_object_as_the_profile_update_does(
        self, client_for, seller
    ):
        payload = {
            "name": "Chetan",
            "phone": "+919844455666",
            "key_highlights": {"budget": "12L", "decision_maker": True},
            "risks": [],
            "products_discussed": None,
        }
        response = client_for(seller).post("/api/buyers/create", payload, format="json")
        assert response.status_code == 201
        buyer = Buyer.objects.get()
        assert buyer.key_highlights == {"budget": "12L", "decision_maker": True}
        assert (buyer.risks, buyer.products_discussed) == ([], [])
        assert response.json()["buyer"]["key_highlights"] == buyer.key_highlights

    @pytest.mark.parametrize(
        "payload",
        [
            {"name": "x"},
            {"phone": "+919844455666"},
            {"name": "x", "phone": "12"},
            {"name": "x", "phone": "+919844455666", "email": "no"},
            {"name": "x", "phone": "+919844455666", "risks": "high"},
            {"name": "x", "phone": "+919844455666", "key_highlights": 3},
        ],
    )
    def test_bad_input(self, client_for, seller, payload):
        response = client_for(seller).post("/api/buyers/create", payload, format="json")
        assert response.status_code == 400
        assert not Buyer.objects.exists()


class TestBuyerSearch:
    @pytest.fixture
    def buyers(self, agency, other_agency, seller):
        ramesh = make_buyer(
            agency, name="Ramesh Kumar", company_name="Kumar Estates", phone="+919812345678"
        )
        make_meeting(seller, buyer=ramesh, start=ist(2025, 3, 1))
        return {
            "ramesh": ramesh,
            "suresh": make_buyer(
                agency, name="Suresh Patel", email="suresh@patel.in", created_by=seller
            ),
            "kumari": make_buyer(
                agency, name="Anita", company_name="Kumari Textiles", last_contacted_by=seller
            ),
            "foreign": make_buyer(other_agency, name="Ramesh Kumar"),
        }

    def test_ranked_results(self, client_for, seller, buyers):
        response = client_for(seller).get("/api/buyers/search", {"q": "ramesh"})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "results",
            "suggestions",
            "total_count",
            "query",
            "search_time_ms",
            "cached",
            "rate_limit",
        }
        ids = [r["id"] for r in body["results"]]
        assert ids[0] == str(buyers["ramesh"].pk)
        assert str(buyers["foreign"].pk) not in ids
        top = body["results"][0]
        assert set(top) == ROW_KEYS | {"match_score", "match_field"}
        assert (top["match_field"], top["match_score"]) == ("name", 0.9)
        assert body["suggestions"][0] == "Ramesh Kumar"
        assert set(body["rate_limit"]) == {"requests_made", "requests_remaining", "reset_time"}
        assert body["cached"] is False
        assert client_for(seller).get("/api/buyers/search", {"q": "ramesh"}).json()["cached"]

    def test_fuzzy_company_and_phone(self, client_for, seller, buyers):
        fuzzy = client_for(seller).get("/api/buyers/search", {"q": "Kumar Estate"}).json()
        assert fuzzy["results"][0]["id"] == str(buyers["ramesh"].pk)
        assert fuzzy["results"][0]["match_field"] == "company_name"
        typo = client_for(seller).get("/api/buyers/search", {"q": "Sursh Patel"}).json()
        assert typo["results"][0]["id"] == str(buyers["suresh"].pk)
        phone = client_for(seller).get("/api/buyers/search", {"q": "+91 98123-45678"}).json()
        assert [r["id"] for r in phone["results"]] == [str(buyers["ramesh"].pk)]
        assert phone["results"][0]["match_field"] == "phone"

    def test_new_buyer_is_found_despite_the_cache(self, client_for, seller, buyers):
        client = client_for(seller)
        assert client.get("/api/buyers/search", {"q": "Zoya"}).json()["total_count"] == 0
        client.post("/api/buyers/create", {"name": "Zoya", "phone": "+919877700000"}, format="json")
        assert client.get("/api/buyers/search", {"q": "Zoya"}).json()["total_count"] == 1

    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"q": "a"},
            {"q": "a" * 101},
            {"q": "ab", "limit": 51},
            {"q": "ab", "suggestion_limit": 11},
        ],
    )
    def test_bad_query_is_400(self, client_for, seller, params):
        response = client_for(seller).get("/api/buyers/search", params)
        assert response.status_code == 400
        assert set(response.json()) >= {"error", "code"}

    def test_rate_limited_per_user(self, client_for, seller, manager, monkeypatch):
        monkeypatch.setitem(BuyerSearchThrottle.THROTTLE_RATES, "buyer_search", "2/min")
        client = client_for(seller)
        assert client.get("/api/buyers/search", {"q": "abc"}).status_code == 200
        assert client.get("/api/buyers/search", {"q": "abd"}).status_code == 200
        response = client.get("/api/buyers/search", {"q": "abe"})
        assert response.status_code == 429
        body = response.json()
        assert body["code"] == "RATE_LIMIT_EXCEEDED"
        assert body["rate_limit"]["requests_remaining"] == 0
        assert body["rate_limit"]["reset_time"].endswith("GMT")
        assert client_for(manager).get("/api/buyers/search", {"q": "abc"}).status_code == 200

    def test_constant_queries(
        self, client_for, seller, make_seller, agency, django_assert_max_num_queries
    ):
        colleague = make_seller(agency)
        for index in range(20):
            make_meeting(
                seller, buyer=make_buyer(agency, name=f"Ramesh {index}"), start=ist(2025, 3, 1)
            )
            make_buyer(agency, name=f"Ramesh {index + 20}", created_by=seller)
            make_buyer(agency, name=f"Ramesh {index + 40}", last_contacted_by=seller)
            make_buyer(agency, name=f"Ramesh {index + 60}", created_by=colleague)
        client = client_for(seller)
        with django_assert_max_num_queries(3):
            body = client.get("/api/buyers/search", {"q": "ramesh", "limit": 50}).json()
        assert body["total_count"] == 60  # the colleague's 20 are not the seller's to see
        assert len(body["results"]) == 50


def test_python_trigram_similarity_matches_pg_trgm():
    # Values computed by PostgreSQL's pg_trgm: similarity('word', 'two words') = 0.3636...
    assert round(trigram_similarity("word", "two words"), 4) == 0.3636
    assert trigram_similarity("", "x") == 0.0
    assert trigram_similarity("Ramesh", "ramesh") == 1.0


class TestBuyerSearchSpeedPaths:
    def test_like_wildcards_in_the_query_are_literal(self, client_for, seller, agency):
        literal = make_buyer(agency, name="a_c", created_by=seller)
        make_buyer(agency, name="abc", created_by=seller)
        body = client_for(seller).get("/api/buyers/search", {"q": "a_c"}).json()
        assert [row["id"] for row in body["results"]] == [str(literal.pk)]
        assert body["results"][0]["match_score"] == 1.0

    def test_contains_match_is_case_insensitive(self, client_for, seller, agency):
        buyer = make_buyer(agency, company_name="Zenith Traders", created_by=seller)
        body = client_for(seller).get("/api/buyers/search", {"q": "ITH TRA"}).json()
        assert [row["id"] for row in body["results"]] == [str(buyer.pk)]
        assert body["results"][0]["match_field"] == "company_name"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL only")
def test_trigram_operator_costs_what_it_measures():
    with connection.cursor() as cursor:
        cursor.execute("SELECT procost FROM pg_proc WHERE proname = 'similarity_op'")
        assert cursor.fetchone()[0] == 50
