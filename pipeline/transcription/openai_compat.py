"""Transcription by any OpenAI-compatible ``/v1/audio/transcriptions`` endpoint.

Works with OpenAI itself and with self-hosted servers (vLLM, faster-whisper-server, LocalAI, ...):
``OPENAI_TRANSCRIPTION_BASE_URL`` (e.g. ``http://asr.internal:8000/v1``), ``..._API_KEY`` and
``..._MODEL``. Each channel is uploaded as a 16 kHz mono WAV and ``verbose_json`` is asked for,
so segments keep their timestamps.
"""

import math
from typing import Any

import numpy as np
import openai
from django.conf import settings

from chirpworks.openai_client import openai_client
from pipeline.transcription.audio import wav_bytes
from pipeline.transcription.base import (
    DecodeOptions,
    RawSegment,
    TranscriptionError,
    TranscriptionUnavailable,
)


def _as_dict(response: Any) -> dict[str, Any]:
    if isinstance(response, str):
        return {"text": response}
    if hasattr(response, "model_dump"):
        return response.model_dump()
    return dict(response)


def _confidence(segment: dict[str, Any]) -> float | None:
    logprob = segment.get("avg_logprob")
    if isinstance(logprob, int | float):
        return round(min(1.0, max(0.0, math.exp(logprob))), 3)
    return None


class OpenAITranscriber:
    name = "openai"
    # The API has no VAD or no-speech settings to relax: a second pass would only cost again.
    retries_lost_speech = False

    def __init__(self) -> None:
        if not settings.OPENAI_TRANSCRIPTION_BASE_URL:
            raise TranscriptionError("OPENAI_TRANSCRIPTION_BASE_URL is not configured")
        # Retries belong to the Celery task (with backoff across workers), not to the client.
        self.client = openai_client(
            base_url=settings.OPENAI_TRANSCRIPTION_BASE_URL,
            api_key=settings.OPENAI_TRANSCRIPTION_API_KEY,
            timeout=settings.OPENAI_TRANSCRIPTION_TIMEOUT,
            max_retries=0,
        )

    def health(self) -> dict[str, str]:
        return {"provider": self.name, "model": settings.OPENAI_TRANSCRIPTION_MODEL}

    def transcribe(
        self, *, samples: np.ndarray, sample_rate: int, options: DecodeOptions | None = None
    ) -> list[RawSegment]:
        # The API has no VAD or filter settings; the vocabulary goes in as the prompt.
        prompt = (
            " ".join(p for p in (options.initial_prompt, options.hotwords) if p) if options else ""
        )
        try:
            response = self.client.audio.transcriptions.create(
                model=settings.OPENAI_TRANSCRIPTION_MODEL,
                file=("channel.wav", wav_bytes(samples, sample_rate), "audio/wav"),
                response_format="verbose_json",
                language=settings.WHISPER_LANGUAGE or openai.omit,
                prompt=prompt or openai.omit,
            )
        except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as e:
            # APITimeoutError is an APIConnectionError.
            raise TranscriptionUnavailable(
                f"Transcription service unavailable ({type(e).__name__})"
            ) from e
        except openai.APIStatusError as exc:
            raise TranscriptionError(
                f"Transcription service rejected the recording (HTTP {exc.status_code})"
            ) from exc

        body = _as_dict(response)
        segments = body.get("segments") or []
        result = [
            RawSegment(
                start=round(float(item.get("start") or 0.0), 2),
                end=round(float(item.get("end") or 0.0), 2),
                text=str(item.get("text") or "").strip(),
                confidence=_confidence(item),
            )
            for item in segments
            if isinstance(item, dict)
        ]
        result = [segment for segment in result if segment.text]
        if not result and str(body.get("text") or "").strip():
            # A server without timestamps: one segment spanning the channel.
            duration = round(samples.size / sample_rate, 2)
            result = [RawSegment(start=0.0, end=duration, text=str(body["text"]).strip())]
        return result
