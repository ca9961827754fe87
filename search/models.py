"""The search index and its query log.

The tables were created by the meetings app and keep their names (``meetings_search...``): the
models moved here without moving data, and the full-text column, FTS5 table and triggers that
meetings migration 0003 made still refer to them.
"""

from django.db import models

from chirpworks.models import BaseModel


class SearchDocument(BaseModel):
    """One passage of an agency's search index (contract §4.9's document types) and its vector.

    A document belongs to exactly one source entity (``entity_kind``, ``entity_id``); re-indexing
    that entity replaces its documents and nothing else. The ids it carries are plain UUIDs, not
    foreign keys: the index service deletes documents itself, so it knows which agency changed.
    On PostgreSQL a generated ``search_vector`` column with a GIN index (migration 0003) serves
    full-text search; on SQLite an FTS5 table kept in sync by triggers does.
    """

    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.CASCADE, related_name="search_documents"
    )
    type = models.CharField(max_length=32)
    entity_kind = models.CharField(max_length=16)
    entity_id = models.UUIDField()
    chunk = models.PositiveIntegerField(default=0)
    text = models.TextField()
    meta = models.JSONField(default=dict, blank=True)
    meeting_id = models.UUIDField(null=True, blank=True)
    buyer_id = models.UUIDField(null=True, blank=True)
    product_id = models.UUIDField(null=True, blank=True)
    seller_id = models.UUIDField(null=True, blank=True)
    # When what the document describes happened (the call's start); null for catalogue entries.
    occurred_at = models.DateTimeField(null=True, blank=True)
    # Little-endian float32, L2-normalised; only documents of the current model are searched.
    embedding = models.BinaryField()
    embedding_model = models.CharField(max_length=100)

    class Meta:
        db_table = "meetings_searchdocument"
        indexes = [
            models.Index(fields=["entity_kind", "entity_id"], name="searchdoc_entity"),
            models.Index(fields=["agency", "type"], name="searchdoc_agency_type"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.entity_id}#{self.chunk}"


class SearchIndexVersion(models.Model):
    """Bumped whenever an agency's documents change; workers reload their cached vectors."""

    agency = models.OneToOneField(
        "agencies.Agency", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "meetings_searchindexversion"

    def __str__(self) -> str:
        return f"{self.agency_id} v{self.version}"


class SearchIndexChange(models.Model):
    """Which documents one index version added and removed, so caches read only the change."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField()
    added = models.JSONField(default=list)  # document ids, as strings
    removed = models.JSONField(default=list)

    class Meta:
        db_table = "meetings_searchindexchange"
        constraints = [
            models.UniqueConstraint(fields=["agency", "version"], name="searchchange_version")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} v{self.version}"


class SearchQueryLog(BaseModel):
    """One search or answer request, for analytics: who asked what, how many results, how fast."""

    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.CASCADE, related_name="search_queries"
    )
    seller = models.ForeignKey(
        "sellers.Seller",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="search_queries",
    )
    endpoint = models.CharField(max_length=16)  # "search" or "answer"
    query = models.CharField(max_length=1000)
    intent = models.CharField(max_length=32, blank=True, default="")
    results_count = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "meetings_searchquerylog"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "created_at"], name="searchlog_agency_created")]

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.query[:50]}"
