"""The buyer list is ordered by ``last_contacted_at`` alone: backfill it, index it.

``GET /api/buyers/all`` orders buyers by their last contact: the later of their latest meeting
and the stored ``last_contacted_at``. Since every new meeting now moves the stored contact
forward (``meetings.contacts``), the stored value alone is that
order once existing rows are brought up to their latest meeting here; the list then reads a
page from an index instead of looking up the latest meeting of every buyer of the agency.

The index is PostgreSQL's (``DESC NULLS LAST``, which SQLite's CREATE INDEX refuses); SQLite
gets the backfill only.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q, Subquery

INDEX = "buyer_agency_contact_order"


def backfill_last_contact(apps, schema_editor):
    """Move each buyer's last contact forward to its latest meeting (time and seller)."""
    Buyer = apps.get_model("agencies", "Buyer")
    Meeting = apps.get_model("meetings", "Meeting")
    meetings = Meeting.objects.filter(buyer_id=OuterRef("pk"))
    latest = meetings.order_by("-start_time")
    stale = Q(Exists(meetings.filter(start_time__gt=OuterRef("last_contacted_at")))) | Q(
        Exists(meetings), last_contacted_at__isnull=True
    )
    Buyer.objects.filter(stale).update(
        last_contacted_at=Subquery(latest.values("start_time")[:1]),
        last_contacted_by_id=Subquery(latest.values("seller_id")[:1]),
    )


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON agencies_buyer "
        "(agency_id, last_contacted_at DESC NULLS LAST, name, id)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_trigram_operator_cost"),
        ("meetings", "0002_initial"),
    ]

    operations = [
        # The index first: PostgreSQL refuses CREATE INDEX after the UPDATE in one transaction
        # (the deferred foreign-key checks it queued are still pending).
        migrations.RunPython(create_index, drop_index, elidable=False),
        migrations.RunPython(backfill_last_contact, migrations.RunPython.noop, elidable=False),
    ]
