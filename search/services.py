"""The two request-level services behind ``/api/search/`` and ``/api/search/answer``.

Each runs the search or answer within the caller's access rules and records the query (text,
result count, time) in ``SearchQueryLog`` under the caller's agency, which already holds the
data the query was about.
"""

import time
import uuid
from typing import Any

from django.db import transaction

from search.answer import search_answer
from search.index import relax_durability
from search.models import SearchQueryLog
from search.retrieval import search_documents, search_scope_for
from sellers.models import Seller

MAX_K = 100


def clamp_k(k: int | None) -> int:
    """The contract clamps ``k`` to 1..100 (default 8) rather than rejecting it."""
    return 8 if k is None else max(1, min(MAX_K, k))


def _record(
    *, actor: Seller, endpoint: str, query: str, intent: str, count: int, started: float
) -> None:
    with transaction.atomic():
        relax_durability()  # an analytics row: not worth waiting for the WAL flush
        SearchQueryLog.objects.create(
            agency_id=actor.agency_id,
            seller=actor,
            endpoint=endpoint,
            query=query[:1000],
            intent=intent,
            results_count=count,
            duration_ms=int((time.perf_counter() - started) * 1000),
        )


def search_run(
    *,
    actor: Seller,
    query: str,
    k: int | None = None,
    types: list[str] | None = None,
    seller_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    started = time.perf_counter()
    scope = search_scope_for(actor=actor, seller_id=seller_id, types=types)
    hits = search_documents(scope=scope, query=query, k=clamp_k(k))
    results = [hit.as_result() for hit in hits]
    _record(
        actor=actor,
        endpoint="search",
        query=query.strip(),
        intent="",
        count=len(results),
        started=started,
    )
    return results


def answer_run(
    *,
    actor: Seller,
    query: str,
    k: int | None = None,
    types: list[str] | None = None,
    seller_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    result = search_answer(
        actor=actor, question=query, k=clamp_k(k), types=types, seller_id=seller_id
    )
    _record(
        actor=actor,
        endpoint="answer",
        query=query.strip(),
        intent=result.intent,
        count=result.results_count,
        started=started,
    )
    return result.body()
