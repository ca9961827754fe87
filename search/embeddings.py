"""Embedding providers, chosen by ``settings.SEARCH_EMBEDDINGS_PROVIDER``.

``embed(texts)`` returns an ``(n, dim)`` float32 array of L2-normalised rows. ``model_id`` names
the model and dimension; documents record it, so vectors of two models are never compared.

- ``WordLlamaEmbeddings`` (default, offline): the weights and tokenizer that ship inside the
  ``wordllama`` package are loaded from its directory, never downloaded; inference is numpy.
- ``OpenAICompatibleEmbeddings``: any ``/v1/embeddings`` endpoint, via the ``openai`` SDK.
"""

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from django.conf import settings
from django.utils.module_loading import import_string

from chirpworks.openai_client import OpenAICompatible, openai_client
from chirpworks.redaction import pii_redact
from chirpworks.retrying import TransientError


class EmbeddingError(RuntimeError):
    """The provider could not embed the texts (bad response, refused key, ...)."""


class EmbeddingUnavailable(EmbeddingError, TransientError):
    """The embeddings service was unreachable, slow, busy or failing: worth retrying later."""


class EmbeddingProvider(Protocol):
    model_id: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0  # an empty text embeds to zeros; keep it zero, not NaN
    return matrix / norms


class WordLlamaEmbeddings:
    """WordLlama ``l2_supercat`` static token embeddings, average-pooled (256 dimensions)."""

    CONFIG = "l2_supercat"
    WEIGHTS = "weights/l2_supercat_256.safetensors"
    TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim or settings.SEARCH_WORDLLAMA_DIM
        self.model_id = f"wordllama-{self.CONFIG}-{self.dim}"
        self._model = None
        self._lock = threading.Lock()

    @staticmethod
    def package_dir() -> Path:
        import wordllama

        return Path(wordllama.__file__).parent

    def _load(self):
        # WordLlama.load() looks for the tokenizer under "tokenizer/" while the wheel ships it in
        # "tokenizers/", then falls back to a download; load both files from the package instead.
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        base = self.package_dir()
        with safe_open(str(base / self.WEIGHTS), framework="np", device="cpu") as weights:
            matrix = weights.get_tensor("embedding.weight")[:, : self.dim]
        tokenizer = Tokenizer.from_file(str(base / self.TOKENIZER))
        return WordLlamaInference(matrix, tokenizer)

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.embed(list(texts), norm=False, batch_size=256)
        return normalise_rows(vectors)


class OpenAICompatibleEmbeddings(OpenAICompatible):
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, vLLM, Ollama, LiteLLM, ...)."""

    BATCH = 256
    settings_prefix = "SEARCH_EMBEDDINGS"

    def __init__(self, **endpoint: Any) -> None:
        super().__init__(**endpoint)
        self.model_id = f"openai-{self.model}"[:100]
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = openai_client(
                base_url=self.base_url, api_key=self.api_key, timeout=self.timeout, max_retries=1
            )
        return self._client

    def embed(self, texts: list[str]) -> np.ndarray:
        import openai

        # Connection errors include timeouts; 429 and 5xx pass too. Others (401, 400) do not.
        passing_errors = (
            openai.APIConnectionError,
            openai.RateLimitError,
            openai.InternalServerError,
        )
        rows: list[list[float]] = []
        try:
            for start in range(0, len(texts), self.BATCH):
                # Personal data never leaves for an external embeddings service.
                batch = [pii_redact(text) or " " for text in texts[start : start + self.BATCH]]
                response = self.client.embeddings.create(model=self.model, input=batch)
                ordered = sorted(response.data, key=lambda item: item.index)
                if len(ordered) != len(batch):
                    raise EmbeddingError("The embeddings service returned the wrong count")
                rows.extend(item.embedding for item in ordered)
        except passing_errors as error:
            raise EmbeddingUnavailable(
                f"Embeddings service failed: {type(error).__name__}"
            ) from error
        except openai.OpenAIError as error:
            raise EmbeddingError(f"Embeddings service failed: {type(error).__name__}") from error
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise_rows(np.asarray(rows, dtype=np.float32))


LEGACY_PREFIX = "meetings.search."  # where the providers lived before search was its own app


@lru_cache(maxsize=4)
def _provider(path: str) -> EmbeddingProvider:
    if path.startswith(LEGACY_PREFIX):
        path = "search." + path.removeprefix(LEGACY_PREFIX)
    return import_string(path)()


def get_embedding_provider() -> EmbeddingProvider:
    """The configured provider, one instance per process (WordLlama loads its weights once)."""
    return _provider(settings.SEARCH_EMBEDDINGS_PROVIDER)


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def bytes_to_matrix(blobs: list[bytes]) -> np.ndarray:
    """Stack stored vectors (all of one model, so of one length) into an ``(n, dim)`` matrix."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    dim = len(blobs[0]) // 4
    return np.frombuffer(b"".join(bytes(blob) for blob in blobs), dtype="<f4").reshape(-1, dim)
