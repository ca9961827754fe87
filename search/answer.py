"""``/api/search/answer``: analytics intents first, else an answer built from retrieved passages.

1. A recognised analytics question is counted deterministically (``intents``).
2. Otherwise the best passages the caller may see are retrieved (within the period the question
   names, if any). With an OpenAI-compatible chat model configured, it writes an answer grounded
   only in those passages; if it fails or answers nothing, or with no model configured, the
   answer is extractive: the passages' sentences closest to the question, with where they came
   from. Either way the sources are the retrieved passages.
"""

import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from django.conf import settings
from django.utils import timezone

from chirpworks.openai_client import OpenAICompatible, openai_client
from chirpworks.redaction import pii_redactor
from search.documents import (
    ACTION_ITEM,
    BUYER_PROFILE,
    MOBILE_CALL,
    PRODUCT_CATALOG,
    SELLER_PROFILE,
)
from search.embeddings import EmbeddingError, get_embedding_provider
from search.intents import analytics_answer, analytics_scope_for, intent_detect
from search.retrieval import (
    SearchHit,
    query_terms,
    search_documents,
    search_scope_for,
)
from search.windows import date_window_parse, default_window
from sellers.models import Seller

logger = logging.getLogger(__name__)

MAX_CONTEXT_CHARS = 6000
EXTRACTIVE_SENTENCES = 3
NOTHING_FOUND = "I couldn't find anything about that in the calls you can see."


class AnswerGenerationError(RuntimeError):
    """The chat model failed or gave no usable answer."""


class AnswerGenerator(Protocol):
    def generate(self, *, question: str, passages: list[str]) -> str: ...


SYSTEM_PROMPT = (
    "You answer a sales team's questions about their calls. Use ONLY the numbered passages "
    "given; they come from call transcripts, summaries, actions, buyer profiles and the product "
    "catalogue. If the passages do not answer the question, say so plainly. Never invent names, "
    "numbers or dates. Cite the passages you used like [1] or [2][3]. Answer in at most five "
    "short sentences."
)


class OpenAICompatibleAnswerGenerator(OpenAICompatible):
    """Any OpenAI-compatible ``/v1/chat/completions`` endpoint, via the ``openai`` SDK."""

    settings_prefix = "SEARCH_LLM"

    def generate(self, *, question: str, passages: list[str]) -> str:
        import openai

        context = "\n\n".join(f"[{i}] {passage}" for i, passage in enumerate(passages, 1))
        client = openai_client(
            base_url=self.base_url, api_key=self.api_key, timeout=self.timeout, max_retries=0
        )
        try:
            response = client.chat.completions.create(
                model=self.model,
                temperature=0,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {
                        "role": "user",
                        "content": f"Passages:\n{context}\n\nQuestion: {question}",
                    },
                ],
            )
            content = response.choices[0].message.content if response.choices else None
        except openai.OpenAIError as error:
            raise AnswerGenerationError(type(error).__name__) from error
        if not content or not content.strip():
            raise AnswerGenerationError("empty answer")
        return content.strip()


def get_answer_generator() -> AnswerGenerator | None:
    """The configured chat model, or None for extractive answers only."""
    if not settings.SEARCH_LLM_MODEL:
        return None
    return OpenAICompatibleAnswerGenerator()


@dataclass
class AnswerResult:
    answer: str
    sources: list[dict[str, Any]]
    intent: str = ""  # the analytics metric, "llm", "extractive" or "" (nothing found)
    results_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"answer": self.answer, "sources": self.sources}


def _source_label(hit: SearchHit) -> str:
    doc = hit.document
    meta = doc.meta or {}
    when = str(meta.get("start_time") or "")[:10]
    if doc.type == PRODUCT_CATALOG:
        return f"product {meta.get('name', '')}".strip()
    if doc.type == BUYER_PROFILE:
        return f"buyer {meta.get('name') or meta.get('phone') or ''}".strip()
    if doc.type == SELLER_PROFILE:
        return f"seller {meta.get('name', '')}".strip()
    if doc.type == ACTION_ITEM:
        return f'action in "{meta.get("meeting_title", "")}"'
    if doc.type == MOBILE_CALL:
        return f"call log {when}".strip()
    title = meta.get("title") or "a call"
    return f'"{title}", {when}' if when else f'"{title}"'


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=\S)\s+(?=(?:Buyer|Seller|Speaker|Q|A):\s)")


def _sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]
    return [part for part in parts if len(part.split()) >= 3] or [text.strip()]


def _extractive(question: str, hits: list[SearchHit]) -> str:
    """The sentences of the best passages closest to the question, each with its source."""
    candidates: list[tuple[int, str]] = []
    for index, hit in enumerate(hits[:5]):
        candidates.extend((index, sentence) for sentence in _sentences(hit.document.text))
    terms = set(query_terms(question))
    overlap = np.array(
        [len(terms & set(query_terms(sentence))) / (len(terms) or 1) for _, sentence in candidates]
    )
    try:
        vectors = get_embedding_provider().embed([question] + [s for _, s in candidates])
        similarity = vectors[1:] @ vectors[0]
    except EmbeddingError:
        similarity = np.zeros(len(candidates))
    # Passage rank matters too: retrieval already weighed the whole passage.
    rank_bonus = np.array([0.1 / (1 + index) for index, _ in candidates])
    scores = similarity + 0.5 * overlap + rank_bonus

    chosen: list[tuple[int, str]] = []
    per_passage: dict[int, int] = {}
    for position in np.argsort(-scores):
        index, sentence = candidates[position]
        if per_passage.get(index, 0) >= 2 or any(sentence == s for _, s in chosen):
            continue
        chosen.append((index, sentence))
        per_passage[index] = per_passage.get(index, 0) + 1
        if len(chosen) == EXTRACTIVE_SENTENCES:
            break
    lines = [f"- {sentence} ({_source_label(hits[index])})" for index, sentence in chosen]
    return "From your calls:\n" + "\n".join(lines)


def _passage(hit: SearchHit) -> str:
    return f"({hit.document.type}; {_source_label(hit)}) {hit.document.text}"


def search_answer(
    *,
    actor: Seller,
    question: str,
    k: int = 8,
    types: list[str] | None = None,
    seller_id: uuid.UUID | None = None,
) -> AnswerResult:
    question = question.strip()
    if not question:
        return AnswerResult(answer="", sources=[])
    if actor.agency_id is None:
        search_scope_for(actor=actor)  # raises: search needs an agency account
    tz = actor.agency.tzinfo
    now = timezone.now()
    window = date_window_parse(question, now=now, tz=tz)

    intent = intent_detect(question)
    if intent is not None:
        search_scope_for(actor=actor, seller_id=seller_id)  # the same 404 for a hidden seller_id
        scope = analytics_scope_for(actor=actor, question=question, seller_id=seller_id)
        body = analytics_answer(
            intent=intent,
            question=question,
            scope=scope,
            window=window or default_window(now=now, tz=tz),
            now=now,
            tz=tz,
        )
        return AnswerResult(
            answer=body["answer"],
            sources=body["sources"],
            intent=body["sources"][0]["metric"],
            results_count=1,
        )

    scope = search_scope_for(
        actor=actor,
        seller_id=seller_id,
        types=types,
        occurred_from=window.start if window else None,
        occurred_to=window.end if window else None,
    )
    # The period is a filter, not words to look for.
    retrieval_text = question.replace(window.phrase, " ") if window and window.phrase else question
    hits = search_documents(scope=scope, query=retrieval_text, k=k)
    if not hits:
        return AnswerResult(answer=NOTHING_FOUND, sources=[])
    sources = [hit.as_result() for hit in hits]

    generator = get_answer_generator()
    if generator is not None:
        redact = pii_redactor(actor.agency)  # the passages leave for the model: no personal data
        passages, size = [], 0
        for hit in hits:
            passage = redact(_passage(hit))
            if passages and size + len(passage) > MAX_CONTEXT_CHARS:
                break
            passages.append(passage[:MAX_CONTEXT_CHARS])
            size += len(passage)
        try:
            answer = generator.generate(question=question, passages=passages)
            return AnswerResult(answer, sources, intent="llm", results_count=len(hits))
        except AnswerGenerationError as error:
            logger.warning("Answer generation failed (%s); answering extractively", error)
    answer = _extractive(retrieval_text, hits)
    return AnswerResult(answer, sources, intent="extractive", results_count=len(hits))
