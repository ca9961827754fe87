"""Index app calls by buyer number: a buyer's call history filters on it (was a full scan)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("calls", "0004_exotelcall_buyer_number")]

    operations = [
        migrations.AddIndex(
            model_name="mobileappcall",
            index=models.Index(
                fields=["buyer_number", "start_time"], name="app_call_buyer_number_start"
            ),
        ),
    ]
