from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from chirpworks.exceptions import ConflictError
from chirpworks.updates import model_assign
from products.models import Product

if TYPE_CHECKING:  # products sit below agencies: the Agency model is reached by the string FK
    from agencies.models import Agency

UPDATABLE_FIELDS = ("name", "description", "features")


def _save(product: Product, *, update_fields: list[str] | None = None) -> Product:
    product.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            product.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise ConflictError(
            "A product with this name already exists in the agency", code="product_exists"
        ) from exc
    return product


def product_create(
    *, agency: "Agency", name: str, description: str = "", features: list[dict] | None = None
) -> Product:
    product = Product(
        agency=agency, name=name.strip(), description=description, features=features or []
    )
    return _save(product)


def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Change any of ``name``, ``description``, ``features``; other keys are rejected upstream."""
    if isinstance(data.get("name"), str):
        data = {**data, "name": data["name"].strip()}
    changed = model_assign(instance=product, fields=UPDATABLE_FIELDS, data=data)
    if not changed:
        return product
    return _save(product, update_fields=changed)
