import pytest
from model_bakery import baker

from chirpworks.updates import model_assign
from products.models import Product


@pytest.mark.django_db
def test_only_fields_given_and_different_are_assigned_with_updated_at():
    product = baker.make(Product, name="Term plan", description="old")
    changed = model_assign(
        instance=product,
        fields=("name", "description"),
        data={"name": "Term plan", "description": "new", "features": ["ignored"]},
    )
    assert changed == ["description", "updated_at"]
    assert product.description == "new" and product.features != ["ignored"]


@pytest.mark.django_db
def test_nothing_changed_means_nothing_to_save():
    product = baker.make(Product, name="Term plan")
    assert model_assign(instance=product, fields=("name",), data={"name": "Term plan"}) == []
