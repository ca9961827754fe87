"""The one way to build a client for an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, ...).

Transcription, analysis, search embeddings and search answers each call one; their settings
differ (base URL, key, timeout), their construction does not. A self-hosted server usually
checks no key, but the SDK refuses to start without one, so an empty key becomes
``PLACEHOLDER_API_KEY``; an empty base URL means the SDK's default (OpenAI's own API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import openai

# Sent as the bearer token when no key is configured: local servers ignore it, OpenAI rejects it.
PLACEHOLDER_API_KEY = "not-needed"


def openai_client(
    *, base_url: str | None, api_key: str | None, timeout: float, max_retries: int
) -> openai.OpenAI:
    """An ``openai.OpenAI`` client; ``max_retries`` are the SDK's own, with its backoff."""
    import openai  # imported on first use: web processes that never call a model skip its load

    return openai.OpenAI(
        base_url=base_url or None,
        api_key=api_key or PLACEHOLDER_API_KEY,
        timeout=timeout,
        max_retries=max_retries,
    )


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None
    api_key: str
    model: str
    timeout: float


def endpoint_from_settings(
    prefix: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    model: str | None = None,
    timeout: float | None = None,
) -> Endpoint:
    """What the caller gave, else the ``<prefix>_BASE_URL`` / ``_API_KEY`` / ``_MODEL`` /
    ``_TIMEOUT`` settings (``SEARCH_LLM``, ``SEARCH_EMBEDDINGS``)."""
    return Endpoint(
        base_url=base_url or getattr(settings, f"{prefix}_BASE_URL") or None,
        api_key=api_key or getattr(settings, f"{prefix}_API_KEY"),
        model=model or getattr(settings, f"{prefix}_MODEL"),
        timeout=timeout if timeout is not None else getattr(settings, f"{prefix}_TIMEOUT"),
    )


class OpenAICompatible:
    """Base of a service called on an OpenAI-compatible endpoint: its four settings, read from
    ``<settings_prefix>_*`` unless given."""

    settings_prefix = ""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
    ) -> None:
        endpoint = endpoint_from_settings(
            self.settings_prefix, base_url=base_url, api_key=api_key, model=model, timeout=timeout
        )
        self.base_url, self.api_key = endpoint.base_url, endpoint.api_key
        self.model, self.timeout = endpoint.model, endpoint.timeout
