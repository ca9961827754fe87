"""The transcription provider interface.

A provider turns one channel of decoded audio (16 kHz mono float32 samples) into timed text.
``meetings.transcription.transcribe_recording`` decodes the file, splits Exotel's dual-channel
recordings (seller left, buyer right), calls the provider once per channel and merges the result
into the contract's segments ``{speaker, role, text, translation, confidence, start, end}``.
"""

from dataclasses import dataclass
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


class TranscriptionProvider(Protocol):
    name: str

    def transcribe(self, *, samples: np.ndarray, sample_rate: int) -> list[RawSegment]: ...
