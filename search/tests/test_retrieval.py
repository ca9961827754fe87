"""Retrieval with the real offline WordLlama embeddings and the database's full-text search."""

import socket
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from meetings.tests.meeting_factories import make_meeting, transcript
from search import retrieval
from search.answer import search_answer
from search.embeddings import WordLlamaEmbeddings
from search.index import search_index_entity, search_index_rebuild_agency
from search.models import SearchDocument, SearchIndexChange
from search.retrieval import (
    _lexical_ranking,
    query_terms,
    search_documents,
    search_scope_for,
)

pytestmark = pytest.mark.django_db

CALLS = {
    "price": "The monthly premium is far too expensive for my family, could you knock something "
    "off the quote before we sign?",
    "parking": "Does the flat come with a covered parking slot and a lift to the basement?",
    "school": "We need a school nearby for our two kids and a park within walking distance.",
    "loan": "My bank already approved a home loan, so the paperwork should be quick.",
    "visit": "Let us schedule the site visit on Saturday morning with my wife.",
    "code": "The brochure for tower XR7Q is printed, I will courier it tomorrow.",
}


@pytest.fixture
def calls(agency, seller):
    meetings = {}
    for days, (topic, line) in enumerate(CALLS.items()):
        meetings[topic] = make_meeting(
            seller,
            start=timezone.now() - timedelta(days=days * 10 + 1),
            title=f"Call {days}",
            transcription=transcript(("buyer", line), ("seller", "Thank you, noted.")),
        )
    search_index_rebuild_agency(agency_id=agency.pk)
    return meetings


def _top_meeting(scope, question, types=("meeting.transcript",)):
    scope = search_scope_for(actor=scope, types=list(types))
    return search_documents(scope=scope, query=question, k=3)[0].document.meeting_id


def test_wordllama_loads_its_bundled_weights_with_the_network_blocked(monkeypatch, settings):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    provider = WordLlamaEmbeddings()
    vectors = provider.embed(["discount on the premium", "lower price please", "covered parking"])
    assert vectors.shape == (3, settings.SEARCH_WORDLLAMA_DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert provider.model_id == f"wordllama-l2_supercat-{settings.SEARCH_WORDLLAMA_DIM}"
    assert WordLlamaEmbeddings(dim=256).embed(["x"]).shape == (1, 256)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Which customer complained that the cost was high and wanted a cheaper price?", "price"),
        ("who asked about a garage for the car", "parking"),
        ("parents wanting education for their children close by", "school"),
        ("mortgage financing has been sanctioned", "loan"),
    ],
)
def test_finds_the_meeting_asked_about_in_other_words(calls, admin, question, topic):
    # None of the question's words are in the call, so full-text search alone cannot find it.
    target = calls[topic]
    scope = search_scope_for(actor=admin, types=["meeting.transcript"])
    lexical = _lexical_ranking(scope, query_terms(question), 50)
    target_docs = set(
        SearchDocument.objects.filter(meeting_id=target.pk).values_list("id", flat=True)
    )
    assert not target_docs & set(lexical)
    assert _top_meeting(admin, question) == target.pk


def test_an_exact_rare_word_is_found_by_full_text(calls, admin):
    scope = search_scope_for(actor=admin, types=["meeting.transcript"])
    lexical = _lexical_ranking(scope, query_terms("XR7Q"), 50)
    assert lexical
    assert SearchDocument.objects.get(pk=lexical[0]).meeting_id == calls["code"].pk
    assert _top_meeting(admin, "tower XR7Q") == calls["code"].pk


def test_full_text_stems_words(calls, admin):
    scope = search_scope_for(actor=admin, types=["meeting.transcript"])
    lexical = _lexical_ranking(scope, query_terms("approving loans"), 50)
    assert SearchDocument.objects.get(pk=lexical[0]).meeting_id == calls["loan"].pk


def test_query_terms_never_carry_query_syntax():
    assert query_terms('price" OR 1=1 -- & | ! (x) NEAR:*') == ["price", "near"]


def test_the_worker_cache_follows_index_changes(
    calls, admin, seller, django_capture_on_commit_callbacks
):
    question = "a swimming pool on the terrace"
    assert _top_meeting(admin, question) != "new"  # loads the cache
    with django_capture_on_commit_callbacks(execute=True):
        pool = make_meeting(
            seller,
            start=timezone.now(),
            transcription=transcript(("buyer", "Is there a swimming pool on the terrace?")),
        )
    assert _top_meeting(admin, question) == pool.pk
    cached = retrieval.vector_cache.get(admin.agency_id, WordLlamaEmbeddings().model_id)
    assert set(cached.row_of) == set(SearchDocument.objects.values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        pool.delete()
    assert _top_meeting(admin, question) != pool.pk
    cached = retrieval.vector_cache.get(admin.agency_id, WordLlamaEmbeddings().model_id)
    assert set(cached.row_of) == set(SearchDocument.objects.values_list("id", flat=True))
    assert int(cached.alive[: cached.size].sum()) == len(cached.row_of)  # removed rows are dead


def test_a_cache_further_behind_than_the_change_log_reloads(calls, admin, seller):
    model_id = WordLlamaEmbeddings().model_id
    retrieval.vector_cache.get(admin.agency_id, model_id)
    pool = make_meeting(
        seller,
        start=timezone.now(),
        transcription=transcript(("buyer", "Is there a swimming pool on the terrace?")),
    )
    search_index_entity(kind="meeting", entity_id=pool.pk)
    SearchIndexChange.objects.all().delete()  # the log no longer reaches the cached version
    cached = retrieval.vector_cache.get(admin.agency_id, model_id)
    assert set(cached.row_of) == set(SearchDocument.objects.values_list("id", flat=True))
    assert _top_meeting(admin, "a swimming pool on the terrace") == pool.pk


def test_answer_is_extractive_with_sources_without_an_llm(calls, admin, settings):
    settings.SEARCH_LLM_MODEL = ""
    result = search_answer(actor=admin, question="did anyone want a cheaper quote?")
    assert result.intent == "extractive"
    assert result.answer.startswith("From your calls:\n- ")
    assert "far too expensive" in result.answer
    assert result.sources[0]["meeting_id"] == calls["price"].pk
    assert result.sources[0]["type"].startswith("meeting.")


def test_answer_searches_only_the_period_the_question_names(calls, admin):
    # The price call is the newest (yesterday); the parking call was 11 days ago.
    recent = search_answer(actor=admin, question="who asked about parking yesterday?")
    assert {s["meeting_id"] for s in recent.sources if s["meeting_id"]} == {calls["price"].pk}
    # Its buyer, last contacted yesterday by that call, may come along as a profile.
    assert {s["buyer_id"] for s in recent.sources} == {calls["price"].buyer_id}
    older = search_answer(actor=admin, question="who asked about parking this month?")
    assert older.sources[0]["meeting_id"] == calls["parking"].pk


def test_answer_says_so_when_nothing_is_visible(seller, agency):
    result = search_answer(actor=seller, question="what about the swimming pool?")
    assert (result.answer, result.sources) == (
        "I couldn't find anything about that in the calls you can see.",
        [],
    )


@pytest.mark.parametrize(
    "now",
    [
        "2026-12-01T09:00:00+05:30",  # the 1st: "this month" is one day old
        "2027-01-01T00:05:00+05:30",  # still 31 December in UTC
    ],
)
def test_this_month_is_the_agency_month_on_its_first_day(clock, agency, seller, admin, now):
    clock.move_to(now)
    parking = make_meeting(
        seller,
        start=timezone.now() - timedelta(days=11),
        title="Parking call",
        transcription=transcript(("buyer", CALLS["parking"]), ("seller", "Noted.")),
    )
    search_index_rebuild_agency(agency_id=agency.pk)
    this_month = search_answer(actor=admin, question="who asked about parking this month?")
    assert [s for s in this_month.sources if s["meeting_id"]] == []
    last_month = search_answer(actor=admin, question="who asked about parking last month?")
    assert last_month.sources[0]["meeting_id"] == parking.pk
