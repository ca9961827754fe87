import pytest
from django.test import Client
from model_bakery import baker

from products.models import Product
from sellers.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_seller_changelist_searches_and_filters_without_per_row_queries(
    admin_site, make_seller, agency, manager, django_assert_max_num_queries
):
    for _ in range(40):
        make_seller(agency, manager=manager)
    with django_assert_max_num_queries(10):
        response = admin_site.get(
            "/admin/sellers/seller/", {"role__exact": "user", "agency__id__exact": agency.pk}
        )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 40

    found = admin_site.get("/admin/sellers/seller/", {"q": manager.phone})
    assert found.context["cl"].result_count == 1


def test_seller_change_page_shows_the_team(admin_site, make_seller, agency):
    head = make_seller(agency, role=Role.MANAGER, name="Head Honcho")
    make_seller(agency, manager=head, name="Direct Report")
    response = admin_site.get(f"/admin/sellers/seller/{head.pk}/change/")
    assert response.status_code == 200
    assert "Direct Report (user)" in response.content.decode()


def test_agency_and_product_admin_pages_load(admin_site, agency):
    baker.make(Product, agency=agency, name="Term Shield")
    assert admin_site.get("/admin/agencies/agency/").status_code == 200
    assert admin_site.get(f"/admin/agencies/agency/{agency.pk}/change/").status_code == 200
    response = admin_site.get("/admin/products/product/", {"q": "term"})
    assert response.context["cl"].result_count == 1
