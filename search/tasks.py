from celery import shared_task

from chirpworks.retrying import DATABASE_ERRORS, RetryingTask
from search.embeddings import EmbeddingUnavailable
from search.index import search_index_entities, search_index_entity

# The database or the embeddings service was unavailable; any other error is not retried.
TRANSIENT_ERRORS = (*DATABASE_ERRORS, EmbeddingUnavailable)
RETRY_POLICY = {
    "base": RetryingTask,
    "ignore_result": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}


# Named as before search left meetings: messages queued by an older release still run.
@shared_task(name="meetings.search.index_entity", **RETRY_POLICY)
def index_entity(kind: str, entity_id: str) -> None:
    """Re-index one entity; when it is gone this deletes its documents (and only those)."""
    search_index_entity(kind=kind, entity_id=entity_id)


@shared_task(name="meetings.search.index_entities", **RETRY_POLICY)
def index_entities(kind: str, entity_ids: list[str]) -> None:
    """Re-index a batch of entities of one kind (bulk writes: a synced call log, new meetings)."""
    search_index_entities(kind=kind, entity_ids=entity_ids)
