import pytest
from django.urls import reverse

from products.models import Product

pytestmark = pytest.mark.django_db

ROWS = 2_000


def test_product_list_at_scale(staff_client, agency, django_assert_max_num_queries):
    Product.objects.bulk_create(
        Product(agency=agency, name=f"Plan {i}", features=[{"name": "rider"}]) for i in range(ROWS)
    )
    for params in ({}, {"agency__id__exact": agency.pk}, {"q": "plan 1999"}):
        with django_assert_max_num_queries(10):
            response = staff_client.get(reverse("admin:products_product_changelist"), params)
        assert len(response.context["cl"].result_list) == min(
            response.context["cl"].result_count, 100
        )
    assert [p.name for p in response.context["cl"].result_list] == ["Plan 1999"]


def test_product_pages(staff_client, agency):
    assert staff_client.get(reverse("admin:products_product_add")).status_code == 200
    product = Product.objects.create(agency=agency, name="Term Shield", features=[])
    response = staff_client.get(reverse("admin:products_product_change", args=[product.pk]))
    assert response.status_code == 200


def test_features_are_validated(staff_client, agency):
    response = staff_client.post(
        reverse("admin:products_product_add"),
        {"agency": agency.pk, "name": "Bad", "description": "", "features": '[{"nom": 1}]'},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "features[0].name must be a non-empty string" in response.content.decode()
    assert not Product.objects.filter(name="Bad").exists()
