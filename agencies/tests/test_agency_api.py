import uuid

import pytest
from model_bakery import baker

from agencies.models import Agency
from products.models import Product
from sellers.models import Role, Seller

pytestmark = pytest.mark.django_db

FEATURES = [{"name": "zero depreciation"}, {"name": "roadside assistance", "tier": "gold"}]


@pytest.fixture
def product(agency):
    return baker.make(Product, agency=agency, name="Motor Secure", features=FEATURES)


class TestAgencyNames:
    def test_is_public_and_read_from_the_database(self, api_client, agency, other_agency):
        response = api_client.get("/api/agency/get_agency_names")
        assert response.status_code == 200
        assert response.json() == {"agencies": ["Acme Realty", "Other Agency"]}


class TestCreateAgency:
    def test_staff_creates_an_agency(self, client_for, staff):
        response = client_for(staff).post(
            "/api/agency/create_agency", {"name": "New Agency"}, format="json"
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"message", "agency_id", "agency_name"}
        agency = Agency.objects.get(pk=body["agency_id"])
        assert agency.timezone == "Asia/Kolkata"
        assert agency.default_phone_region == "IN"
        assert agency.exotel_webhook_secret

    def test_duplicate_name_is_409(self, client_for, staff, agency):
        response = client_for(staff).post(
            "/api/agency/create_agency", {"name": "ACME realty"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "agency_exists"

    def test_bad_timezone_is_400(self, client_for, staff):
        response = client_for(staff).post(
            "/api/agency/create_agency", {"name": "X", "timezone": "Mars/Olympus"}, format="json"
        )
        assert response.status_code == 400
        assert not Agency.objects.filter(name="X").exists()

    def test_an_agency_admin_is_refused(self, client_for, admin):
        response = client_for(admin).post("/api/agency/create_agency", {"name": "X"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"

    def test_anonymous_is_401(self, api_client):
        response = api_client.post("/api/agency/create_agency", {"name": "X"}, format="json")
        assert response.status_code == 401


class TestCreateProduct:
    def test_admin_creates_a_product_in_their_agency(self, client_for, admin, agency):
        response = client_for(admin).post(
            "/api/agency/create_product",
            {"agency_name": agency.name, "name": "Term Shield", "features": FEATURES},
            format="json",
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {
            "message",
            "product_id",
            "product_name",
            "agency_id",
            "agency_name",
            "description",
            "features",
        }
        assert body["features"] == FEATURES
        assert Product.objects.get(pk=body["product_id"]).agency == agency

    def test_without_a_selector_uses_the_callers_agency(self, client_for, admin, agency):
        response = client_for(admin).post(
            "/api/agency/create_product", {"name": "Term Shield"}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["agency_id"] == str(agency.pk)

    def test_another_agency_is_404_and_writes_nothing(self, client_for, admin, other_agency):
        response = client_for(admin).post(
            "/api/agency/create_product",
            {"agency_name": other_agency.name, "name": "Sneaky"},
            format="json",
        )
        assert response.status_code == 404
        assert not Product.objects.exists()

    def test_staff_may_name_any_agency(self, client_for, staff, other_agency):
        response = client_for(staff).post(
            "/api/agency/create_product",
            {"agency_id": str(other_agency.pk), "name": "Ops Product"},
            format="json",
        )
        assert response.status_code == 201

    @pytest.mark.parametrize(
        "features", ["not a list", [{"tier": "gold"}], ["plain string"], [{"name": ""}]]
    )
    def test_invalid_features_are_400(self, client_for, admin, features):
        response = client_for(admin).post(
            "/api/agency/create_product", {"name": "X", "features": features}, format="json"
        )
        assert response.status_code == 400
        assert not Product.objects.exists()

    def test_duplicate_name_is_409(self, client_for, admin, product):
        response = client_for(admin).post(
            "/api/agency/create_product", {"name": "motor secure"}, format="json"
        )
        assert response.status_code == 409

    @pytest.mark.parametrize("role", [Role.USER, Role.MANAGER, Role.GUEST])
    def test_non_admins_are_403(self, client_for, make_seller, agency, role):
        response = client_for(make_seller(agency, role=role)).post(
            "/api/agency/create_product", {"name": "X"}, format="json"
        )
        assert response.status_code == 403


class TestUpdateProduct:
    def test_updates_given_fields(self, client_for, admin, product):
        response = client_for(admin).put(
            f"/api/agency/update_product/{product.pk}",
            {"description": "Car insurance", "features": [{"name": "engine protect"}]},
            format="json",
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "message",
            "product_id",
            "product_name",
            "agency_id",
            "description",
            "features",
        }
        product.refresh_from_db()
        assert product.name == "Motor Secure"
        assert product.description == "Car insurance"
        assert product.features == [{"name": "engine protect"}]

    def test_unknown_fields_are_400(self, client_for, admin, product):
        response = client_for(admin).put(
            f"/api/agency/update_product/{product.pk}", {"price": 10}, format="json"
        )
        assert response.status_code == 400
        assert "price" in response.json()["error"]

    def test_another_agencys_product_is_404(self, client_for, make_seller, other_agency, product):
        other_admin = make_seller(other_agency, role=Role.ADMIN)
        response = client_for(other_admin).put(
            f"/api/agency/update_product/{product.pk}", {"name": "Hijack"}, format="json"
        )
        assert response.status_code == 404
        product.refresh_from_db()
        assert product.name == "Motor Secure"

    def test_unknown_and_malformed_ids_are_404_json(self, client_for, admin):
        client = client_for(admin)
        for path in (uuid.uuid4(), "not-a-uuid"):
            response = client.put(f"/api/agency/update_product/{path}", {}, format="json")
            assert response.status_code == 404
            assert response.json()["code"] == "not_found" or "product" in response.json()["code"]


class TestUpdateDescription:
    def test_sets_the_description(self, client_for, admin, agency):
        response = client_for(admin).put(
            f"/api/agency/update_description?agency_id={agency.pk}",
            {"description": ""},
            format="json",
        )
        assert response.status_code == 200
        assert response.json() == {
            "message": "Agency description updated successfully",
            "agency_id": str(agency.pk),
            "agency_name": agency.name,
            "description": "",
        }

    def test_description_is_required(self, client_for, admin):
        response = client_for(admin).put("/api/agency/update_description", {}, format="json")
        assert response.status_code == 400

    def test_both_selectors_is_400(self, client_for, admin, agency):
        response = client_for(admin).put(
            f"/api/agency/update_description?agency_id={agency.pk}&agency_name={agency.name}",
            {"description": "x"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "ambiguous_agency"

    def test_another_agency_is_404(self, client_for, admin, other_agency):
        response = client_for(admin).put(
            f"/api/agency/update_description?agency_name={other_agency.name}",
            {"description": "pwned"},
            format="json",
        )
        assert response.status_code == 404
        other_agency.refresh_from_db()
        assert other_agency.description == ""


class TestAddSeller:
    payload = {
        "email": "New.Person@Example.com",
        "phone": "+91 98765 00001",
        "name": "New Person",
        "password": "a-fine-password",
    }

    def test_admin_adds_a_seller(self, client_for, admin, agency):
        response = client_for(admin).post("/api/agency/add_seller", self.payload, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body == {
            "message": "Seller added successfully",
            "seller_id": body["seller_id"],
            "seller_name": "New Person",
            "seller_email": "new.person@example.com",
            "seller_phone": "00919876500001",
            "agency_id": str(agency.pk),
            "agency_name": agency.name,
            "role": "user",
        }
        seller = Seller.objects.get(pk=body["seller_id"])
        assert seller.check_password("a-fine-password")

    def test_duplicate_is_409(self, client_for, admin, seller):
        response = client_for(admin).post(
            "/api/agency/add_seller", {**self.payload, "email": seller.email}, format="json"
        )
        assert response.status_code == 409

    def test_short_password_is_400(self, client_for, admin):
        response = client_for(admin).post(
            "/api/agency/add_seller", {**self.payload, "password": "short"}, format="json"
        )
        assert response.status_code == 400
        assert not Seller.objects.filter(email="new.person@example.com").exists()

    def test_cannot_add_an_admin(self, client_for, admin):
        response = client_for(admin).post(
            "/api/agency/add_seller", {**self.payload, "role": "admin"}, format="json"
        )
        assert response.status_code == 400

    def test_another_agency_is_404(self, client_for, admin, other_agency):
        response = client_for(admin).post(
            f"/api/agency/add_seller?agency_id={other_agency.pk}", self.payload, format="json"
        )
        assert response.status_code == 404
        assert not Seller.objects.filter(email="new.person@example.com").exists()

    def test_a_seller_cannot_add_sellers(self, client_for, seller):
        response = client_for(seller).post("/api/agency/add_seller", self.payload, format="json")
        assert response.status_code == 403


class TestReads:
    def test_product_catalogue(
        self, client_for, seller, agency, product, django_assert_max_num_queries
    ):
        for index in range(30):
            baker.make(Product, agency=agency, name=f"Product {index}")
        with django_assert_max_num_queries(3):
            response = client_for(seller).get("/api/agency/product_catalogue")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"agency_id", "agency_name", "products", "total_count"}
        assert body["total_count"] == 31
        assert set(body["products"][0]) == {"id", "name", "description", "features"}

    def test_product_catalogue_of_another_agency_is_404(self, client_for, seller, other_agency):
        response = client_for(seller).get(
            f"/api/agency/product_catalogue?agency_id={other_agency.pk}"
        )
        assert response.status_code == 404

    def test_sellers_list_for_admin(
        self,
        client_for,
        admin,
        seller,
        make_seller,
        agency,
        other_agency,
        django_assert_max_num_queries,
    ):
        for _ in range(20):
            make_seller(agency)
        make_seller(other_agency)
        with django_assert_max_num_queries(3):
            response = client_for(admin).get("/api/agency/sellers")
        assert response.status_code == 200
        body = response.json()
        assert body["total_count"] == 23  # admin, manager, seller and 20 more; not the other agency
        row = next(s for s in body["sellers"] if s["id"] == str(seller.pk))
        assert row == {
            "id": str(seller.pk),
            "name": seller.name,
            "email": seller.email,
            "phone": "0091" + seller.phone[3:],
            "role": "user",
            "username": None,
            "manager_id": str(seller.manager_id),
        }

    def test_sellers_list_is_for_admins_only(self, client_for, manager):
        assert client_for(manager).get("/api/agency/sellers").status_code == 403

    def test_details(self, client_for, seller, agency):
        response = client_for(seller).get("/api/agency/details")
        assert response.status_code == 200
        assert response.json() == {
            "id": str(agency.pk),
            "name": agency.name,
            "description": agency.description,
        }

    def test_details_of_another_agency_is_404(self, client_for, admin, other_agency):
        response = client_for(admin).get(f"/api/agency/details?agency_name={other_agency.name}")
        assert response.status_code == 404

    def test_staff_without_agency_must_select_one(self, client_for, staff, agency):
        assert client_for(staff).get("/api/agency/details").status_code == 400
        response = client_for(staff).get(f"/api/agency/details?agency_id={agency.pk}")
        assert response.status_code == 200
