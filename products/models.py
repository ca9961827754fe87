from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from chirpworks.models import BaseModel


def validate_features(value: Any) -> None:
    """Features are a list of objects, each with a non-empty ``name`` string."""
    if not isinstance(value, list):
        raise ValidationError("features must be a list of objects")
    for index, feature in enumerate(value):
        if not isinstance(feature, dict):
            raise ValidationError(f"features[{index}] must be an object")
        name = feature.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"features[{index}].name must be a non-empty string")


class Product(BaseModel):
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    features = models.JSONField(default=list, blank=True, validators=[validate_features])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("agency", Lower("name"), name="product_name_per_agency_unique")
        ]

    def __str__(self) -> str:
        return self.name
