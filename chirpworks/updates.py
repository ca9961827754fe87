"""The one way a service applies a partial edit to a model (after HackSoft's ``model_update``)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


def model_assign(
    *, instance: models.Model, fields: Iterable[str], data: Mapping[str, Any]
) -> list[str]:
    """Set each of ``fields`` that ``data`` carries and that differs from the instance's value.

    Returns the names changed, with ``updated_at`` added when the model has one, ready for
    ``save(update_fields=...)``; empty when nothing changed, so the caller can skip the write.
    Validation, locking and the save itself stay with the calling service.
    """
    changed = []
    for name in fields:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    if changed and any(field.name == "updated_at" for field in instance._meta.concrete_fields):
        changed.append("updated_at")
    return changed
