"""The transcription provider interface.

A provider turns one channel of decoded audio (16 kHz mono float32 samples) into timed text.
``pipeline.transcription.recording_transcribe`` decodes the file, splits Exotel's dual-channel
recordings (seller left, buyer right), calls the provider once per channel (again, with other
settings, when a channel that carries speech came back empty) and merges the result into the
contract's segments ``{speaker, role, text, translation, confidence, start, end}``.

Providers may take ``options`` (``DecodeOptions``: the agency's vocabulary, VAD and the
no-speech filter); a provider whose ``transcribe`` has no ``options`` parameter is called without.
"""

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class TranscriptionError(Exception):
    """The recording cannot be transcribed (corrupt, silent, rejected): retrying will not help."""


class TranscriptionUnavailable(Exception):
    """The transcription service is temporarily unavailable (timeout, 5xx): worth a retry."""


@dataclass(frozen=True)
class RawSegment:
    start: float  # seconds from the beginning of the recording
    end: float
    text: str
    confidence: float | None = None  # 0..1
    # Word timings ``(start, end, word)`` when the provider gives them (speaker attribution of
    # mono recordings splits segments at speaker changes with them).
    words: tuple[tuple[float, float, str], ...] = ()


@dataclass(frozen=True)
class DecodeOptions:
    """How one channel is decoded. ``first_pass`` is the tuned default; ``retry`` the settings of
    the second try on a channel with speech energy but (almost) no text."""

    hotwords: str = ""  # the agency's vocabulary (faster-whisper ``hotwords``, every window)
    initial_prompt: str = ""  # a short sentence in the call's style (the first window)
    vad_filter: bool = True
    vad_parameters: dict = field(default_factory=dict)
    no_speech_threshold: float | None = 0.6
    log_prob_threshold: float | None = -1.0

    def retry(self) -> "DecodeOptions":
        """No VAD and no no-speech filter: whatever the model hears is kept."""
        return DecodeOptions(
            hotwords=self.hotwords,
            initial_prompt=self.initial_prompt,
            vad_filter=False,
            no_speech_threshold=None,
            log_prob_threshold=None,
        )


class TranscriptionProvider(Protocol):
    name: str

    def transcribe(
        self, *, samples: np.ndarray, sample_rate: int, options: DecodeOptions | None = None
    ) -> list[RawSegment]: ...
