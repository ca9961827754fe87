"""Hybrid retrieval: vector similarity and full-text match, fused by reciprocal rank.

Vectors live in the database (``SearchDocument.embedding``) and are searched in memory with numpy,
per agency. Each worker process keeps the matrices of its most recently searched agencies and
refreshes one when the agency's ``SearchIndexVersion`` moves: only added and removed documents are
read, so a change to one meeting does not reload 100,000 vectors.

Full text: PostgreSQL's ``search_vector`` (a generated tsvector column with a GIN index) queried
with ``SearchQuery``/``SearchRank``; on SQLite the FTS5 table (porter stemming) with ``bm25``.
Both are written by migration 0003 and kept in sync by the database itself.

Access rules (issue 7): a seller sees documents of their own calls and of the buyers they talk
to, plus the product catalogue; a manager adds the team; an admin the whole agency; nobody ever
sees another agency.
"""

import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from chirpworks.exceptions import ForbiddenError, NotFoundError
from search.documents import BUYER_PROFILE, DOCUMENT_TYPES, PRODUCT_CATALOG
from search.embeddings import EmbeddingError, bytes_to_matrix, get_embedding_provider
from search.models import SearchDocument, SearchIndexChange, SearchIndexVersion
from sellers.models import Seller
from sellers.selectors import seller_visible_ids

RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of the very top ranks
MIN_CANDIDATES = 50

_STOPWORD_TEXT = """a about after all also am an and any are as at be been before being but by
    can could
    did do does doing for from had has have having he her here hers him his how i if in into is
    it its just me more most my no nor not of off on once only or other our out over own same she
    should so some such than that the their them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you
    your yours please tell show give find list get"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
TYPE_CODES = {name: code for code, name in enumerate(DOCUMENT_TYPES)}


@dataclass(frozen=True)
class SearchScope:
    """Whose documents a request may see, resolved once per request."""

    agency_id: uuid.UUID
    seller_ids: frozenset[uuid.UUID] | None  # None: the whole agency
    only_seller_id: uuid.UUID | None = None
    types: tuple[str, ...] | None = None
    occurred_from: datetime | None = None  # with occurred_to: only documents of that window
    occurred_to: datetime | None = None


@dataclass(frozen=True)
class SearchHit:
    document: SearchDocument
    distance: float | None
    score: float

    def as_result(self) -> dict[str, Any]:
        doc = self.document
        return {
            "id": doc.pk,
            "type": doc.type,
            "text": doc.text,
            "meta": doc.meta,
            "agency_id": doc.agency_id,
            "meeting_id": doc.meeting_id,
            "buyer_id": doc.buyer_id,
            "product_id": doc.product_id,
            "seller_id": doc.seller_id,
            "distance": self.distance,
        }


def search_scope_for(
    *,
    actor: Seller,
    seller_id: uuid.UUID | None = None,
    types: list[str] | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> SearchScope:
    if actor.agency_id is None:
        raise ForbiddenError("Search needs an agency account", code="no_agency")
    visible = seller_visible_ids(actor=actor)
    if seller_id is not None:
        found = Seller.objects.filter(pk=seller_id, agency_id=actor.agency_id).exists()
        if not found or (visible is not None and seller_id not in visible):
            raise NotFoundError("Seller not found", code="seller_not_found")
    return SearchScope(
        agency_id=actor.agency_id,
        seller_ids=frozenset(visible) if visible is not None else None,
        only_seller_id=seller_id,
        types=tuple(types) if types else None,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )


def query_terms(text: str) -> list[str]:
    """Lower-cased words of a question without stopwords; never carries any query syntax."""
    words = re.findall(r"[^\W_]+", text.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))


class AgencyVectors:
    """One agency's document vectors and the columns the access rules filter on.

    Rows live in arrays with spare capacity: a change appends its new rows and marks its removed
    rows dead, so applying a one-meeting change costs that meeting's rows, not a copy of 100,000
    vectors. Dead rows are compacted away once they are a fifth of the arrays.
    """

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.version = -1
        self.size = 0  # rows in use (alive or dead)
        self.dead = 0
        self.ids: list[uuid.UUID | None] = []
        self.row_of: dict[uuid.UUID, int] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.type_codes = np.zeros(0, dtype=np.int16)
        self.seller_codes = np.zeros(0, dtype=np.int32)
        self.buyer_codes = np.zeros(0, dtype=np.int32)
        self.occurred = np.zeros(0, dtype=np.float64)  # epoch seconds; NaN when undated
        self.seller_index: dict[uuid.UUID, int] = {}
        self.buyer_index: dict[uuid.UUID, int] = {}

    def _code(self, index: dict[uuid.UUID, int], value: uuid.UUID | None) -> int:
        if value is None:
            return -1
        return index.setdefault(value, len(index))

    def refresh(self, agency_id: uuid.UUID, version: int) -> None:
        """Apply the logged changes since the cached version; reload all if the log is short."""
        documents = SearchDocument.objects.filter(
            agency_id=agency_id, embedding_model=self.model_id
        )
        changes = list(
            SearchIndexChange.objects.filter(
                agency_id=agency_id, version__gt=self.version, version__lte=version
            )
            .order_by("version")
            .values_list("added", "removed")
        )
        if self.version >= 0 and len(changes) == version - self.version:
            pending: dict[uuid.UUID, None] = {}
            for added, removed in changes:
                for doc_id in map(uuid.UUID, removed):
                    if doc_id in pending:
                        del pending[doc_id]
                    elif doc_id in self.row_of:
                        row = self.row_of.pop(doc_id)
                        self.alive[row] = False
                        self.ids[row] = None
                        self.dead += 1
                pending.update(dict.fromkeys(map(uuid.UUID, added)))
            new_ids = [doc_id for doc_id in pending if doc_id not in self.row_of]
            for start in range(0, len(new_ids), 2000):
                self._append(documents.filter(pk__in=new_ids[start : start + 2000]))
        else:  # first load, or further behind than the change log reaches
            self._reset()
            self._append(documents)
        if self.dead > max(1000, self.size // 5):
            self._compact()
        self.version = version

    def _append(self, documents) -> None:
        blobs, ids, types, sellers, buyers, occurred = [], [], [], [], [], []
        rows = documents.values_list(
            "id", "type", "seller_id", "buyer_id", "occurred_at", "embedding"
        ).iterator(chunk_size=5000)
        for doc_id, doc_type, seller_id, buyer_id, occurred_at, blob in rows:
            ids.append(doc_id)
            types.append(TYPE_CODES.get(doc_type, -1))
            sellers.append(self._code(self.seller_index, seller_id))
            buyers.append(self._code(self.buyer_index, buyer_id))
            occurred.append(occurred_at.timestamp() if occurred_at else np.nan)
            blobs.append(blob)
        if not blobs:
            return
        new_matrix = bytes_to_matrix(blobs)
        if self.matrix.shape[1] not in (0, new_matrix.shape[1]):
            raise EmbeddingError("Stored vectors of one model have different dimensions")
        start, end = self.size, self.size + len(ids)
        if end > len(self.alive):
            self._grow(max(end, 2 * len(self.alive), 1024), new_matrix.shape[1])
        self.matrix[start:end] = new_matrix
        self.alive[start:end] = True
        self.type_codes[start:end] = types
        self.seller_codes[start:end] = sellers
        self.buyer_codes[start:end] = buyers
        self.occurred[start:end] = occurred
        self.ids.extend(ids)
        self.row_of.update((doc_id, start + i) for i, doc_id in enumerate(ids))
        self.size = end

    def _grow(self, capacity: int, dim: int) -> None:
        def grown(array: np.ndarray, shape: tuple[int, ...], fill) -> np.ndarray:
            bigger = np.full(shape, fill, dtype=array.dtype)
            if self.size:
                bigger[: self.size] = array[: self.size]
            return bigger

        self.matrix = grown(self.matrix, (capacity, dim), 0)
        self.alive = grown(self.alive, (capacity,), False)
        self.type_codes = grown(self.type_codes, (capacity,), -1)
        self.seller_codes = grown(self.seller_codes, (capacity,), -1)
        self.buyer_codes = grown(self.buyer_codes, (capacity,), -1)
        self.occurred = grown(self.occurred, (capacity,), np.nan)

    def _compact(self) -> None:
        keep = np.flatnonzero(self.alive[: self.size])
        for name in ("matrix", "alive", "type_codes", "seller_codes", "buyer_codes", "occurred"):
            setattr(self, name, getattr(self, name)[keep].copy())
        self.ids = [self.ids[row] for row in keep]
        self.row_of = {doc_id: row for row, doc_id in enumerate(self.ids)}
        self.size, self.dead = len(keep), 0

    def allowed(self, scope: SearchScope) -> np.ndarray:
        """A boolean mask of the rows ``scope`` may see (lookup tables: no per-row Python)."""
        size = self.size
        if scope.seller_ids is None:
            mask = self.alive[:size].copy()
        else:
            # Code -1 (no seller / no buyer) indexes the last, always-False slot.
            seller_lut = np.zeros(len(self.seller_index) + 1, dtype=bool)
            seller_lut[
                [self.seller_index[s] for s in scope.seller_ids if s in self.seller_index]
            ] = True
            alive = self.alive[:size]
            types, buyer_codes = self.type_codes[:size], self.buyer_codes[:size]
            own = seller_lut[self.seller_codes[:size]] & alive
            is_buyer = types == TYPE_CODES[BUYER_PROFILE]
            is_product = types == TYPE_CODES[PRODUCT_CATALOG]
            # A buyer profile is visible when one of the visible calls, actions or call logs
            # is with that buyer, or a visible seller contacted them last (else added them).
            met = np.unique(buyer_codes[own & ~is_buyer])
            buyer_lut = np.zeros(len(self.buyer_index) + 1, dtype=bool)
            buyer_lut[met[met >= 0]] = True
            mask = (is_product & alive) | (is_buyer & (own | (buyer_lut[buyer_codes] & alive)))
            mask |= ~is_buyer & ~is_product & own
        if scope.only_seller_id is not None:
            code = self.seller_index.get(scope.only_seller_id, -2)
            mask &= self.seller_codes[:size] == code
        if scope.types is not None:
            type_lut = np.zeros(len(TYPE_CODES) + 1, dtype=bool)
            type_lut[[TYPE_CODES[t] for t in scope.types]] = True
            mask &= type_lut[self.type_codes[:size]]
        if scope.occurred_from is not None and scope.occurred_to is not None:
            with np.errstate(invalid="ignore"):  # undated rows compare False: outside any window
                occurred = self.occurred[:size]
                mask &= (occurred >= scope.occurred_from.timestamp()) & (
                    occurred < scope.occurred_to.timestamp()
                )
        return mask


class VectorCache:
    """Per-process LRU of ``AgencyVectors``; the database's version number invalidates it."""

    def __init__(self) -> None:
        self._agencies: OrderedDict[tuple[uuid.UUID, str], AgencyVectors] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._agencies.clear()

    def get(self, agency_id: uuid.UUID, model_id: str) -> AgencyVectors:
        version = (
            SearchIndexVersion.objects.filter(agency_id=agency_id)
            .values_list("version", flat=True)
            .first()
        ) or 0
        key = (agency_id, model_id)
        with self._lock:
            vectors = self._agencies.get(key)
            if vectors is None:
                vectors = self._agencies[key] = AgencyVectors(model_id)
            self._agencies.move_to_end(key)
            while len(self._agencies) > settings.SEARCH_CACHE_MAX_AGENCIES:
                self._agencies.popitem(last=False)
        if vectors.version != version:
            with vectors.lock:
                if vectors.version != version:
                    vectors.refresh(agency_id, version)
        return vectors


vector_cache = VectorCache()


def _vector_ranking(
    vectors: AgencyVectors, mask: np.ndarray, query_vector: np.ndarray, limit: int
) -> list[uuid.UUID]:
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    # A narrow scope (a seller's calls) scores only its rows; copying a wide one costs more
    # than scoring every row.
    if len(rows) < len(mask) // 10:
        scores = vectors.matrix[rows] @ query_vector
    else:
        scores = (vectors.matrix[: vectors.size] @ query_vector)[rows]
    limit = min(limit, len(rows))
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.argsort(-scores[top])]
    return [vectors.ids[rows[i]] for i in top]


def _scope_filter(scope: SearchScope) -> Q:
    condition = Q(agency_id=scope.agency_id)
    if scope.seller_ids is not None:
        # Buyer profiles are checked against the visible calls afterwards (``allowed``).
        condition &= Q(type__in=[PRODUCT_CATALOG, BUYER_PROFILE]) | Q(
            seller_id__in=scope.seller_ids
        )
    if scope.only_seller_id is not None:
        condition &= Q(seller_id=scope.only_seller_id)
    if scope.types is not None:
        condition &= Q(type__in=scope.types)
    if scope.occurred_from is not None and scope.occurred_to is not None:
        condition &= Q(occurred_at__gte=scope.occurred_from, occurred_at__lt=scope.occurred_to)
    return condition


class _TermStatistics:
    """How many documents contain a term, to leave out the very common ones.

    Like a search engine's cutoff frequency: a term in more than 2% of the documents (and in more
    than 500 of them) says little about which document is meant, and ranking every document that
    contains it is what makes full-text search slow on a large index. The vector ranking still
    weighs those words. PostgreSQL: the planner's statistics of ``search_vector`` (most common
    lexemes and their frequencies, refreshed by ANALYZE), cached for five minutes. SQLite: FTS5
    counts each term's documents (a doclist read, no ranking).
    """

    COMMON_FRACTION = 0.02
    COMMON_MIN_DOCUMENTS = 500
    TTL_SECONDS = 300

    def __init__(self) -> None:
        self._pg: tuple[float, dict[str, float], float] | None = None
        self._sqlite_total: tuple[float, int] | None = None

    def clear(self) -> None:
        self._pg = None
        self._sqlite_total = None

    def pg_rare_lexemes(self, terms: list[str]) -> list[str]:
        table = SearchDocument._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tsvector_to_array(to_tsvector('english'::regconfig, %s))", [" ".join(terms)]
            )
            lexemes = [lex for lex in cursor.fetchone()[0] if re.fullmatch(r"[a-z0-9]+", lex)]
            if self._pg is None or self._pg[0] < time.monotonic():
                cursor.execute(
                    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, "
                    "c.reltuples FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname "
                    "AND s.attname = 'search_vector' WHERE c.relname = %s",
                    [table],
                )
                row = cursor.fetchone() or (None, None, 0)
                frequencies = dict(zip(row[0] or [], row[1] or [], strict=False))
                self._pg = (time.monotonic() + self.TTL_SECONDS, frequencies, max(row[2], 0))
        _, frequencies, total = self._pg
        return [
            lexeme
            for lexeme in lexemes
            if not (
                frequencies.get(lexeme, 0) > self.COMMON_FRACTION
                and frequencies.get(lexeme, 0) * total > self.COMMON_MIN_DOCUMENTS
            )
        ]

    def sqlite_rare_terms(self, terms: list[str]) -> list[str]:
        table = SearchDocument._meta.db_table
        with connection.cursor() as cursor:
            if self._sqlite_total is None or self._sqlite_total[0] < time.monotonic():
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (constant)
                self._sqlite_total = (time.monotonic() + self.TTL_SECONDS, cursor.fetchone()[0])
            total = self._sqlite_total[1]
            if total * self.COMMON_FRACTION <= self.COMMON_MIN_DOCUMENTS:
                return terms
            # Constant SQL, one sub-select per term; the terms are bound parameters.
            count = f"(SELECT count(*) FROM {table}_fts WHERE {table}_fts MATCH %s)"  # noqa: S608
            cursor.execute("SELECT " + ", ".join(count for _ in terms), [f'"{t}"' for t in terms])
            found = cursor.fetchone()
        return [
            term
            for term, count in zip(terms, found, strict=True)
            if not (count > total * self.COMMON_FRACTION and count > self.COMMON_MIN_DOCUMENTS)
        ]


term_statistics = _TermStatistics()


def _lexical_ranking(scope: SearchScope, terms: list[str], limit: int) -> list[uuid.UUID]:
    """Documents matching any of the question's distinctive terms, best first."""
    if not terms:
        return []
    documents = SearchDocument.objects.filter(_scope_filter(scope))
    if connection.vendor == "postgresql":
        lexemes = term_statistics.pg_rare_lexemes(terms)
        if not lexemes:
            return []
        # Any term may match (OR); ts_rank rewards documents that match more of them. The
        # lexemes are already stemmed (english), so the query must not stem them again.
        query = SearchQuery(" | ".join(lexemes), search_type="raw", config="simple")
        vector = RawSQL(  # noqa: S611 (constant SQL: the generated column of migration 0003)
            f'"{SearchDocument._meta.db_table}"."search_vector"',
            [],
            output_field=SearchVectorField(),
        )
        ranked = (
            documents.alias(search_vector=vector)
            .filter(search_vector=query)
            .annotate(rank=SearchRank(vector, query))
            .order_by("-rank")
        )
        return list(ranked.values_list("id", flat=True)[:limit])
    if connection.vendor == "sqlite":
        terms = term_statistics.sqlite_rare_terms(terms)
        if not terms:
            return []
        table = SearchDocument._meta.db_table
        match = " OR ".join(f'"{term}"' for term in terms)
        ranked = documents.extra(  # noqa: S610 (constant SQL; the terms are bound parameters)
            tables=[f"{table}_fts"],
            where=[f"{table}_fts.rowid = {table}.rowid", f"{table}_fts MATCH %s"],
            params=[match],
            select={"bm25": f"bm25({table}_fts)"},
            order_by=["bm25"],
        )
        return list(ranked.values_list("id", flat=True)[:limit])
    return list(documents.filter(text__icontains=terms[0]).values_list("id", flat=True)[:limit])


def _fuse(rankings: list[list[uuid.UUID]]) -> list[tuple[uuid.UUID, float]]:
    scores: dict[uuid.UUID, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


def search_documents(*, scope: SearchScope, query: str, k: int = 8) -> list[SearchHit]:
    """The ``k`` best documents for ``query`` that ``scope`` may see, best first.

    If the embedding provider fails, the full-text ranking alone answers (``distance`` is null).
    """
    query = query.strip()
    if not query:
        return []
    limit = max(MIN_CANDIDATES, k * 5)
    vectors = vector_cache.get(scope.agency_id, get_embedding_provider().model_id)
    mask = vectors.allowed(scope)
    try:
        query_vector = get_embedding_provider().embed([query])[0]
    except EmbeddingError:
        query_vector = None
    vector_ids = [] if query_vector is None else _vector_ranking(vectors, mask, query_vector, limit)
    # The full-text side is filtered again by the same mask: one access rule for both rankings.
    lexical_ids = [
        doc_id
        for doc_id in _lexical_ranking(scope, query_terms(query), limit * 2)
        if doc_id in vectors.row_of and mask[vectors.row_of[doc_id]]
    ][:limit]
    fused = _fuse([vector_ids, lexical_ids])[:k]
    documents = SearchDocument.objects.defer("embedding").in_bulk([doc_id for doc_id, _ in fused])
    hits = []
    for doc_id, score in fused:
        document = documents.get(doc_id)
        if document is None:
            continue  # deleted since the ranking was computed
        distance = None
        if query_vector is not None and doc_id in vectors.row_of:
            similarity = float(vectors.matrix[vectors.row_of[doc_id]] @ query_vector)
            distance = round(float(np.sqrt(max(0.0, 2.0 - 2.0 * similarity))), 4)
        hits.append(SearchHit(document=document, distance=distance, score=score))
    return hits
