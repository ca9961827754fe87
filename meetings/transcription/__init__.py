"""Transcription: recordings in, the contract's timed, speaker-attributed segments out.

The provider is chosen by ``settings.TRANSCRIPTION_PROVIDER`` (a dotted path): offline
faster-whisper by default, or ``meetings.transcription.openai_compat.OpenAITranscriber``.
"""

from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from meetings.transcription.audio import SAMPLE_RATE, audio_decode, is_silent
from meetings.transcription.base import (
    RawSegment,
    TranscriptionError,
    TranscriptionProvider,
    TranscriptionUnavailable,
)

__all__ = [
    "CHANNEL_ROLES",
    "RawSegment",
    "TranscriptionError",
    "TranscriptionProvider",
    "TranscriptionUnavailable",
    "get_transcription_provider",
    "segments_apply_roles",
    "transcribe_recording",
]

# Exotel's dual-channel recordings: the seller (agent leg) left, the buyer right.
CHANNEL_ROLES = (("Speaker 1", "seller"), ("Speaker 2", "buyer"))
MONO_SPEAKER = "Speaker 1"


@cache
def _provider(path: str) -> TranscriptionProvider:
    return import_string(path)()


def get_transcription_provider() -> TranscriptionProvider:
    """One provider instance per worker process (the model loads once)."""
    return _provider(settings.TRANSCRIPTION_PROVIDER)


def _segment(raw: RawSegment, speaker: str, role: str) -> dict[str, Any]:
    return {
        "speaker": speaker,
        "role": role,
        "text": raw.text,
        "translation": None,
        "confidence": raw.confidence,
        "start": raw.start,
        "end": raw.end,
    }


def transcribe_recording(
    path: Path, *, provider: TranscriptionProvider | None = None
) -> list[dict[str, Any]]:
    """Transcribe the recording at ``path`` into segments ordered by time.

    A dual-channel recording is transcribed per channel (so every segment has a speaker and a
    role) and merged by start time; a mono one gets role ``unknown`` (see
    ``segments_apply_roles``). Raises ``TranscriptionError`` when the file is corrupt or silent or
    nothing is recognised, ``TranscriptionUnavailable`` when a remote service is down.
    """
    provider = provider or get_transcription_provider()
    audio = audio_decode(path)
    segments: list[dict[str, Any]] = []
    if audio.is_dual_channel:
        for samples, (speaker, role) in zip(audio.channels, CHANNEL_ROLES, strict=True):
            if is_silent(samples):
                continue  # a silent leg only makes a model hallucinate
            raws = provider.transcribe(samples=samples, sample_rate=SAMPLE_RATE)
            segments.extend(_segment(raw, speaker, role) for raw in raws)
    else:
        raws = provider.transcribe(samples=audio.channels[0], sample_rate=SAMPLE_RATE)
        segments.extend(_segment(raw, MONO_SPEAKER, "unknown") for raw in raws)
    if not segments:
        raise TranscriptionError("No speech was recognised in the recording")
    segments.sort(key=lambda item: (item["start"], item["end"]))
    return segments


def segments_apply_roles(
    segments: list[dict[str, Any]], speaker_roles: dict[str, str] | None
) -> list[dict[str, Any]]:
    """Fill ``unknown`` roles from the analysis's ``speaker_roles`` (mono recordings)."""
    if not speaker_roles:
        return segments
    valid = {"seller", "buyer"}
    return [
        {**item, "role": speaker_roles[item["speaker"]]}
        if item.get("role") == "unknown" and speaker_roles.get(item.get("speaker")) in valid
        else item
        for item in segments
    ]
