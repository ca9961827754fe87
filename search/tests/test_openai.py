"""The OpenAI-compatible chat and embeddings providers against a real local HTTP server."""

import hashlib
import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from django.utils import timezone

from chirpworks.openai_client import PLACEHOLDER_API_KEY
from meetings.tests.meeting_factories import make_meeting, transcript
from search import embeddings
from search.embeddings import EmbeddingError, EmbeddingUnavailable, OpenAICompatibleEmbeddings
from search.index import search_index_rebuild_agency
from search.models import SearchDocument

pytestmark = pytest.mark.django_db

ANSWER = "/api/search/answer"
SEARCH = "/api/search/"
DIM = 64


def _bag_of_words(text: str) -> list[float]:
    """A deterministic toy embedding: hashed word counts (enough to rank shared words first)."""
    vector = [0.0] * DIM
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0  # noqa: S324
    return vector


class FakeOpenAI(BaseHTTPRequestHandler):
    """``/v1/embeddings`` and ``/v1/chat/completions``; ``server.mode`` makes them misbehave."""

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _reply(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, request, self.headers.get("Authorization")))
        mode = self.server.mode
        if mode == "error":
            return self._reply(500, {"error": {"message": "boom", "type": "server_error"}})
        if mode == "denied":
            return self._reply(401, {"error": {"message": "bad key", "type": "invalid_api_key"}})
        if mode == "slow":
            time.sleep(1.5)
        if self.path == "/v1/embeddings":
            inputs = request["input"]
            data = [
                {"object": "embedding", "index": i, "embedding": _bag_of_words(text)}
                for i, text in enumerate(inputs)
            ]
            data.reverse()  # clients must order by index, not by position
            usage = {"prompt_tokens": 1, "total_tokens": 1}
            model = request["model"]
            return self._reply(
                200, {"object": "list", "data": data, "model": model, "usage": usage}
            )
        if self.path == "/v1/chat/completions":
            content = "" if mode == "empty" else self.server.answer
            return self._reply(
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": request["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )
        return self._reply(404, {"error": {"message": "no such route"}})


@pytest.fixture
def fake_openai():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    server.mode = "ok"
    server.answer = "The buyer asked for a discount on the premium [1]."
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _base_url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.fixture
def llm(settings, fake_openai):
    settings.SEARCH_LLM_BASE_URL = _base_url(fake_openai)
    settings.SEARCH_LLM_API_KEY = "test-llm-key"
    settings.SEARCH_LLM_MODEL = "test-chat"
    settings.SEARCH_LLM_TIMEOUT = 0.5
    return fake_openai


@pytest.fixture
def calls(agency, other_agency, seller, make_seller):
    bea = make_seller(other_agency, name="Bea Other")
    for owner, line in (
        (seller, "The premium is too expensive, we want a discount before signing."),
        (seller, "Please send the floor plan of the third tower."),
        (bea, "Other agency secret: discount of forty percent for the premium."),
    ):
        make_meeting(
            owner,
            start=timezone.now() - timedelta(days=1),
            transcription=transcript(("buyer", line)),
        )
    search_index_rebuild_agency(agency_id=agency.pk)
    search_index_rebuild_agency(agency_id=other_agency.pk)


QUESTION = {"query": "did the buyer want a discount on the premium?", "k": 3}


def test_llm_answer_is_grounded_in_the_retrieved_passages(calls, llm, seller, client_for):
    client = client_for(seller)
    body = client.post(ANSWER, QUESTION, format="json").json()
    assert body["answer"] == "The buyer asked for a discount on the premium [1]."
    searched = client.post(SEARCH, QUESTION, format="json").json()["results"]
    assert [s["id"] for s in body["sources"]] == [r["id"] for r in searched]

    path, request, authorization = llm.requests[-1]
    assert path == "/v1/chat/completions"
    assert authorization == "Bearer test-llm-key"
    assert request["model"] == "test-chat" and request["temperature"] == 0
    system, user = request["messages"]
    assert "ONLY the numbered passages" in system["content"]
    assert "[1] (meeting." in user["content"]
    assert "we want a discount before signing" in user["content"]
    assert user["content"].endswith(f"Question: {QUESTION['query']}")
    assert "Other agency secret" not in user["content"]  # never another agency's passages


@pytest.mark.parametrize("mode", ["error", "empty", "slow"])
def test_llm_failure_falls_back_to_an_extractive_answer(calls, llm, seller, client_for, mode):
    llm.mode = mode
    client = client_for(seller)
    response = client.post(ANSWER, QUESTION, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["answer"].startswith("From your calls:\n- ")
    assert "we want a discount before signing" in body["answer"]
    assert body["sources"] and body["sources"][0]["type"].startswith("meeting.")
    assert any(path == "/v1/chat/completions" for path, _, _ in llm.requests)


class TestEmbeddingsProvider:
    def test_embeds_in_input_order_normalised(self, fake_openai):
        provider = OpenAICompatibleEmbeddings(
            base_url=_base_url(fake_openai), api_key="k", model="test-embed", timeout=2
        )
        vectors = provider.embed(["alpha beta", "gamma", "alpha beta"])
        assert vectors.shape == (3, DIM)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
        assert np.allclose(vectors[0], vectors[2]) and not np.allclose(vectors[0], vectors[1])
        path, request, authorization = fake_openai.requests[-1]
        assert (path, request["model"], authorization) == (
            "/v1/embeddings",
            "test-embed",
            "Bearer k",
        )
        assert provider.model_id == "openai-test-embed"

    def test_failure_raises_embedding_error(self, fake_openai):
        fake_openai.mode = "error"
        provider = OpenAICompatibleEmbeddings(
            base_url=_base_url(fake_openai), api_key="k", model="m", timeout=2
        )
        with pytest.raises(EmbeddingError):
            provider.embed(["anything"])

    def test_a_failing_service_is_transient_a_refused_key_is_not(self, fake_openai):
        provider = OpenAICompatibleEmbeddings(
            base_url=_base_url(fake_openai), api_key="k", model="m", timeout=2
        )
        fake_openai.mode = "error"
        with pytest.raises(EmbeddingUnavailable):
            provider.embed(["anything"])
        fake_openai.mode = "denied"
        with pytest.raises(EmbeddingError) as error:
            provider.embed(["anything"])
        assert not isinstance(error.value, EmbeddingUnavailable)

    def test_without_a_key_the_placeholder_is_sent(self, fake_openai, settings):
        settings.SEARCH_EMBEDDINGS_API_KEY = ""
        provider = OpenAICompatibleEmbeddings(base_url=_base_url(fake_openai), model="m", timeout=2)
        provider.embed(["anything"])
        assert fake_openai.requests[-1][2] == f"Bearer {PLACEHOLDER_API_KEY}"

    def test_index_and_search_with_it_then_fall_back_to_full_text(
        self, settings, fake_openai, agency, seller, client_for
    ):
        settings.SEARCH_EMBEDDINGS_PROVIDER = "search.embeddings.OpenAICompatibleEmbeddings"
        settings.SEARCH_EMBEDDINGS_BASE_URL = _base_url(fake_openai)
        settings.SEARCH_EMBEDDINGS_MODEL = "test-embed"
        embeddings._provider.cache_clear()
        try:
            meeting = make_meeting(
                seller,
                start=timezone.now(),
                transcription=transcript(("buyer", "Send the floor plan of the third tower.")),
            )
            make_meeting(
                seller,
                start=timezone.now(),
                transcription=transcript(("buyer", "We talked about the weather.")),
            )
            search_index_rebuild_agency(agency_id=agency.pk)
            assert set(SearchDocument.objects.values_list("embedding_model", flat=True)) == {
                "openai-test-embed"
            }
            assert {
                len(blob) for blob in SearchDocument.objects.values_list("embedding", flat=True)
            } == {4 * DIM}
            client = client_for(seller)
            body = {"query": "floor plan tower", "types": ["meeting.transcript"]}
            results = client.post(SEARCH, body, format="json").json()["results"]
            assert results[0]["meeting_id"] == str(meeting.pk)
            assert results[0]["distance"] is not None

            fake_openai.mode = "error"  # the embeddings service goes down
            results = client.post(SEARCH, body, format="json").json()["results"]
            assert results[0]["meeting_id"] == str(meeting.pk)
            assert results[0]["distance"] is None  # full-text ranking only
        finally:
            embeddings._provider.cache_clear()
