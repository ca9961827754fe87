"""Stored ``Meeting.detected_products`` in the analysis schema's one shape.

Analysers and workers once stored a dict, a list of names, or items keyed ``productName`` /
``productId`` / ``name`` / ``title``; readers now read only ``[{product_id, product_name,
features, mentions, interest_level}]`` (``pipeline.analysis.schema.DetectedProduct``). The
normaliser is copied here, not imported, so this migration keeps meaning what it means today.
"""

import uuid

from django.db import migrations

BATCH_SIZE = 500
INTEREST_LEVELS = ("high", "medium", "low")


def _first(item, keys):
    return next((item[key] for key in keys if item.get(key) not in (None, "")), None)


def _features(value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(f).strip() for f in value if isinstance(f, str | int | float) and str(f).strip()]


def _mentions(value):
    if isinstance(value, bool):
        return 1
    try:
        mentions = int(value)
    except (TypeError, ValueError):
        return 1
    return mentions if mentions >= 0 else 1


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def product_ids(detected):
    """The product ids an old-shape value names without a product name (for the catalogue)."""
    items = detected if isinstance(detected, list) else [detected]
    return {
        _uuid(_first(item, ("product_id", "productId", "id")))
        for item in items
        if isinstance(item, dict)
        and not _first(item, ("product_name", "productName", "name", "title"))
    } - {None}


def detected_products_normalise(detected, *, names_by_id):
    """``detected`` (any shape once stored) as the one shape; ``names_by_id``: catalogue names."""
    if detected in (None, "", {}, []):
        return []
    items = detected if isinstance(detected, list) else [detected]
    products = []
    for item in items:
        if isinstance(item, dict):
            product_id = _first(item, ("product_id", "productId", "id"))
            name = _first(item, ("product_name", "productName", "name", "title"))
            level = str(item.get("interest_level") or "").strip().lower()
            features, mentions = _features(item.get("features")), _mentions(item.get("mentions"))
        elif isinstance(item, str | int | float) and str(item).strip():
            product_id, name, level, features, mentions = None, item, "", [], 1
        else:
            continue
        if not name and product_id in (None, ""):
            continue
        product_id = str(product_id) if product_id not in (None, "") else None
        if not name:
            name = names_by_id.get(_uuid(product_id)) or product_id
        products.append(
            {
                "product_id": product_id,
                "product_name": str(name).strip(),
                "features": features,
                "mentions": mentions,
                "interest_level": level if level in INTEREST_LEVELS else None,
            }
        )
    return products


def forwards(apps, schema_editor):
    Meeting = apps.get_model("meetings", "Meeting")
    Product = apps.get_model("products", "Product")
    changed = []
    rows = Meeting.objects.only("pk", "detected_products").order_by("pk").iterator(BATCH_SIZE)
    for meeting in rows:
        detected = meeting.detected_products
        ids = product_ids(detected)
        names = dict(Product.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
        normalised = detected_products_normalise(detected, names_by_id=names)
        if normalised != detected:
            meeting.detected_products = normalised
            changed.append(meeting)
        if len(changed) >= BATCH_SIZE:
            Meeting.objects.bulk_update(changed, ["detected_products"])
            changed = []
    if changed:
        Meeting.objects.bulk_update(changed, ["detected_products"])


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0009_move_search_models_to_search_app"),
        ("products", "0001_initial"),
    ]

    # The one shape is what the code before this migration read too: nothing to undo.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
