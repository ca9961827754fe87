# The search models moved to the search app (search 0001); their tables stay where they are.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0008_meeting_warnings_and_corrections"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SearchDocument"),
                migrations.DeleteModel(name="SearchIndexChange"),
                migrations.DeleteModel(name="SearchIndexVersion"),
                migrations.DeleteModel(name="SearchQueryLog"),
            ],
        ),
    ]
