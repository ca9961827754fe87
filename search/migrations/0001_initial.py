# The search models moved here from meetings without moving data: their tables keep the names
# meetings made (Meta.db_table), so this migration only tells the state about them
# (meetings 0009 removed them from meetings' state), and renames their content types so that
# permissions and admin history follow them.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["searchdocument", "searchindexversion", "searchindexchange", "searchquerylog"]


def _content_types_to(app_label: str, other: str):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        taken = set(
            content_type.objects.using(db)
            .filter(app_label=app_label, model__in=MODELS)
            .values_list("model", flat=True)
        )
        content_type.objects.using(db).filter(app_label=other, model__in=MODELS).exclude(
            model__in=taken
        ).update(app_label=app_label)

    return move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("agencies", "0010_keyword_trackers"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("meetings", "0009_move_search_models_to_search_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchIndexVersion",
                    fields=[
                        (
                            "agency",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="+",
                                serialize=False,
                                to="agencies.agency",
                            ),
                        ),
                        ("version", models.PositiveBigIntegerField(default=0)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "meetings_searchindexversion",
                    },
                ),
                migrations.CreateModel(
                    name="SearchDocument",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("type", models.CharField(max_length=32)),
                        ("entity_kind", models.CharField(max_length=16)),
                        ("entity_id", models.UUIDField()),
                        ("chunk", models.PositiveIntegerField(default=0)),
                        ("text", models.TextField()),
                        ("meta", models.JSONField(blank=True, default=dict)),
                        ("meeting_id", models.UUIDField(blank=True, null=True)),
                        ("buyer_id", models.UUIDField(blank=True, null=True)),
                        ("product_id", models.UUIDField(blank=True, null=True)),
                        ("seller_id", models.UUIDField(blank=True, null=True)),
                        ("occurred_at", models.DateTimeField(blank=True, null=True)),
                        ("embedding", models.BinaryField()),
                        ("embedding_model", models.CharField(max_length=100)),
                        (
                            "agency",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="search_documents",
                                to="agencies.agency",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "meetings_searchdocument",
                        "indexes": [
                            models.Index(
                                fields=["entity_kind", "entity_id"], name="searchdoc_entity"
                            ),
                            models.Index(fields=["agency", "type"], name="searchdoc_agency_type"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SearchIndexChange",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("version", models.PositiveBigIntegerField()),
                        ("added", models.JSONField(default=list)),
                        ("removed", models.JSONField(default=list)),
                        (
                            "agency",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="agencies.agency",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "meetings_searchindexchange",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("agency", "version"), name="searchchange_version"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SearchQueryLog",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("endpoint", models.CharField(max_length=16)),
                        ("query", models.CharField(max_length=1000)),
                        ("intent", models.CharField(blank=True, default="", max_length=32)),
                        ("results_count", models.PositiveIntegerField(default=0)),
                        ("duration_ms", models.PositiveIntegerField(default=0)),
                        (
                            "agency",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="search_queries",
                                to="agencies.agency",
                            ),
                        ),
                        (
                            "seller",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="search_queries",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "meetings_searchquerylog",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                fields=["agency", "created_at"], name="searchlog_agency_created"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            _content_types_to("search", "meetings"), _content_types_to("meetings", "search")
        ),
    ]
