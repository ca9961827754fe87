"""Buyer search: pg_trgm and trigram GIN indexes on PostgreSQL; nothing on other databases.

The indexes answer both ``similarity`` (``%``) and ``ILIKE '%…%'`` on the searched columns.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCHED_COLUMNS = ("name", "company_name", "phone", "email")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS buyer_{column}_trgm "
            f"ON agencies_buyer USING gin ({column} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS buyer_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
