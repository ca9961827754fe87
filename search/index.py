"""Services that write the search index.

``search_index_entity`` replaces exactly one entity's documents (or deletes them when the entity
is gone) and bumps its agency's index version; nothing else is touched. The old system's
``_delete_stale_chunks`` deleted every ``action.item`` / ``mobile.call`` document of every agency
on each upsert: here every delete is keyed by ``(entity_kind, entity_id)`` or by agency.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F

from search.documents import (
    ENTITY_KINDS,
    DocumentSpec,
    EntityDocuments,
    documents_build,
    documents_model,
    entities_load,
    entity_ids_of_agency,
)
from search.embeddings import get_embedding_provider, vector_to_bytes
from search.models import SearchDocument, SearchIndexChange, SearchIndexVersion

logger = logging.getLogger(__name__)

REBUILD_BATCH = 200


@dataclass
class IndexOutcome:
    written: int = 0
    deleted: int = 0
    unchanged: int = 0  # entities whose documents were already up to date
    entities: int = 0
    stale_deleted: int = 0  # documents whose entity no longer exists (rebuild only)
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: "IndexOutcome") -> None:
        self.written += other.written
        self.deleted += other.deleted
        self.unchanged += other.unchanged
        self.entities += other.entities
        self.stale_deleted += other.stale_deleted


CHANGE_LOG_KEEP = 1000  # versions per agency; a cache further behind reloads everything


def search_index_record_change(
    *, agency_id: uuid.UUID, added: Iterable[uuid.UUID] = (), removed: Iterable[uuid.UUID] = ()
) -> int:
    """Bump the agency's index version and log what changed; every worker's cache follows.

    The version row is updated first, so concurrent writers queue on its lock and versions are
    logged in commit order.
    """
    updated = SearchIndexVersion.objects.filter(agency_id=agency_id).update(
        version=F("version") + 1
    )
    if not updated:
        _, created = SearchIndexVersion.objects.get_or_create(
            agency_id=agency_id, defaults={"version": 1}
        )
        if not created:  # another writer created it meanwhile
            SearchIndexVersion.objects.filter(agency_id=agency_id).update(version=F("version") + 1)
    version = SearchIndexVersion.objects.get(agency_id=agency_id).version
    SearchIndexChange.objects.create(
        agency_id=agency_id,
        version=version,
        added=[str(doc_id) for doc_id in added],
        removed=[str(doc_id) for doc_id in removed],
    )
    if version % 100 == 0:
        SearchIndexChange.objects.filter(
            agency_id=agency_id, version__lte=version - CHANGE_LOG_KEEP
        ).delete()
    return version


def relax_durability() -> None:
    """Index rows are derived data (a rebuild restores them): don't wait for the WAL flush."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _existing_keys(kind: str, entity_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple]:
    """Each entity's current documents, as comparable keys (no embeddings loaded)."""
    rows = (
        SearchDocument.objects.filter(entity_kind=kind, entity_id__in=list(entity_ids))
        .order_by("entity_id", "type", "chunk")
        .values_list(
            "entity_id",
            "agency_id",
            "embedding_model",
            "type",
            "chunk",
            "text",
            "meta",
            "meeting_id",
            "buyer_id",
            "product_id",
            "seller_id",
            "occurred_at",
        )
    )
    keys: dict[uuid.UUID, list] = {}
    for entity_id, agency_id, model_id, *fields in rows:
        spec = DocumentSpec(*fields)
        keys.setdefault(entity_id, []).append((agency_id, model_id, spec.key()))
    return {entity_id: tuple(sorted(items)) for entity_id, items in keys.items()}


def _wanted_key(documents: EntityDocuments, model_id: str) -> tuple:
    return tuple(sorted((documents.agency_id, model_id, spec.key()) for spec in documents.specs))


def _write(
    *,
    kind: str,
    built: dict[uuid.UUID, EntityDocuments],
    vectors_by_entity: dict[uuid.UUID, list[bytes]],
    model_id: str,
    entity_ids: Sequence[uuid.UUID],
) -> tuple[int, int]:
    """Replace the documents of ``entity_ids`` (in one transaction); returns (deleted, written)."""
    relax_durability()
    old = list(
        SearchDocument.objects.filter(entity_kind=kind, entity_id__in=list(entity_ids)).values_list(
            "id", "agency_id"
        )
    )
    removed: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for doc_id, agency_id in old:
        removed[agency_id].append(doc_id)
    for start in range(0, len(old), 1000):
        SearchDocument.objects.filter(pk__in=[d for d, _ in old[start : start + 1000]]).delete()
    rows = []
    for entity_id in entity_ids:
        documents = built.get(entity_id)
        if documents is None or documents.agency_id is None:
            continue
        for spec, vector in zip(documents.specs, vectors_by_entity[entity_id], strict=True):
            rows.append(
                SearchDocument(
                    agency_id=documents.agency_id,
                    type=spec.type,
                    entity_kind=kind,
                    entity_id=entity_id,
                    chunk=spec.chunk,
                    text=spec.text,
                    meta=spec.meta,
                    meeting_id=spec.meeting_id,
                    buyer_id=spec.buyer_id,
                    product_id=spec.product_id,
                    seller_id=spec.seller_id,
                    occurred_at=spec.occurred_at,
                    embedding=vector,
                    embedding_model=model_id,
                )
            )
    SearchDocument.objects.bulk_create(rows, batch_size=1000)
    added: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        added[row.agency_id].append(row.pk)
    for agency_id in sorted(set(added) | set(removed)):  # one lock order: no deadlocks
        search_index_record_change(
            agency_id=agency_id, added=added[agency_id], removed=removed[agency_id]
        )
    return len(old), len(rows)


def _embed(built: dict[uuid.UUID, EntityDocuments], entity_ids: Sequence[uuid.UUID]):
    provider = get_embedding_provider()
    texts = [spec.text for entity_id in entity_ids for spec in built[entity_id].specs]
    matrix = provider.embed(texts) if texts else []
    vectors: dict[uuid.UUID, list[bytes]] = {}
    position = 0
    for entity_id in entity_ids:
        count = len(built[entity_id].specs)
        vectors[entity_id] = [vector_to_bytes(v) for v in matrix[position : position + count]]
        position += count
    return vectors


def search_index_entities(
    *, kind: str, entity_ids: Sequence[uuid.UUID | str], dry_run: bool = False
) -> IndexOutcome:
    """Bring the documents of these entities up to date; a missing entity loses its documents.

    Documents are built and embedded outside the transaction; inside it the entities are locked
    and any that changed in between (``updated_at``) are rebuilt.
    """
    if kind not in ENTITY_KINDS:
        raise ValueError(f"Unknown entity kind: {kind}")
    ids = [uuid.UUID(str(entity_id)) for entity_id in entity_ids]
    model_id = get_embedding_provider().model_id
    outcome = IndexOutcome(entities=len(ids))

    loaded = entities_load(kind=kind, ids=ids)
    built = documents_build(kind=kind, entities=loaded.values())
    existing = _existing_keys(kind, ids)
    changed = [
        entity_id
        for entity_id in ids
        if existing.get(entity_id, ())
        != (_wanted_key(built[entity_id], model_id) if entity_id in built else ())
    ]
    outcome.unchanged = len(ids) - len(changed)
    if dry_run or not changed:
        outcome.written = sum(len(built[e].specs) for e in changed if e in built)
        outcome.deleted = sum(len(existing.get(e, ())) for e in changed)
        return outcome

    present = [entity_id for entity_id in changed if entity_id in built]
    vectors = _embed(built, present)
    with transaction.atomic():
        # Lock the entities; any that changed since they were read are rebuilt from the locked
        # state, so two concurrent re-indexes can neither duplicate nor resurrect documents.
        stamps = dict(
            documents_model(kind)
            .objects.select_for_update()
            .filter(pk__in=changed)
            .values_list("pk", "updated_at")
        )
        moved = [
            entity_id
            for entity_id in changed
            if stamps.get(entity_id)
            != (loaded[entity_id].updated_at if entity_id in loaded else None)
        ]
        if moved:
            fresh = entities_load(kind=kind, ids=moved)
            rebuilt = documents_build(kind=kind, entities=fresh.values())
            for entity_id in moved:
                built.pop(entity_id, None)
            built.update(rebuilt)
            vectors.update(_embed(rebuilt, list(rebuilt)))
        deleted, written = _write(
            kind=kind,
            built=built,
            vectors_by_entity=vectors,
            model_id=model_id,
            entity_ids=changed,
        )
    outcome.deleted, outcome.written = deleted, written
    return outcome


def search_index_entity(*, kind: str, entity_id: uuid.UUID | str) -> IndexOutcome:
    """Replace one entity's documents (deleting them if the entity is gone)."""
    return search_index_entities(kind=kind, entity_ids=[entity_id])


def search_index_delete_entity(*, kind: str, entity_id: uuid.UUID | str) -> int:
    """Delete one entity's documents and nothing else; returns how many were deleted."""
    with transaction.atomic():
        deleted, _ = _write(
            kind=kind,
            built={},
            vectors_by_entity={},
            model_id="",
            entity_ids=[uuid.UUID(str(entity_id))],
        )
    return deleted


def search_index_rebuild_agency(
    *,
    agency_id: uuid.UUID,
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> IndexOutcome:
    """Re-index every entity of one agency in batches, then drop documents of vanished entities.

    Unchanged entities cost no embedding and no write. Only this agency's documents are touched.
    """
    work = [
        (kind, list(entity_ids_of_agency(kind=kind, agency_id=agency_id))) for kind in ENTITY_KINDS
    ]
    total = sum(len(ids) for _, ids in work)
    outcome = IndexOutcome()
    done = 0
    if on_progress:
        on_progress(0, total)
    for kind, ids in work:
        before = outcome.written
        for start in range(0, len(ids), REBUILD_BATCH):
            batch = ids[start : start + REBUILD_BATCH]
            outcome.add(search_index_entities(kind=kind, entity_ids=batch, dry_run=dry_run))
            done += len(batch)
            if on_progress:
                on_progress(done, total)
        outcome.by_kind[kind] = outcome.written - before

    current = {(kind, entity_id) for kind, ids in work for entity_id in ids}
    stale_ids = [
        doc_id
        for doc_id, kind, entity_id in SearchDocument.objects.filter(agency_id=agency_id)
        .values_list("id", "entity_kind", "entity_id")
        .iterator(chunk_size=5000)
        if (kind, entity_id) not in current
    ]
    outcome.stale_deleted = len(stale_ids)
    if stale_ids and not dry_run:
        with transaction.atomic():
            for start in range(0, len(stale_ids), 1000):
                SearchDocument.objects.filter(pk__in=stale_ids[start : start + 1000]).delete()
            search_index_record_change(agency_id=agency_id, removed=stale_ids)
    return outcome
