"""Transcription: recordings in, the contract's timed, speaker-attributed segments out.

The provider is chosen by ``settings.TRANSCRIPTION_PROVIDER`` (a dotted path): offline
faster-whisper by default, or ``pipeline.transcription.openai_compat.OpenAITranscriber``.
"""

import inspect
import logging
import re
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from pipeline.providers import provider_load
from pipeline.transcription.audio import (
    SAMPLE_RATE,
    SpeechActivity,
    audio_decode,
    channel_normalise,
    is_silent,
    speech_activity,
)
from pipeline.transcription.base import (
    DecodeOptions,
    RawSegment,
    TranscriptionError,
    TranscriptionProvider,
    TranscriptionUnavailable,
)
from pipeline.transcription.diarize import mono_attribute
from pipeline.transcription.vocabulary import CallVocabulary, vocabulary_from_context

logger = logging.getLogger(__name__)

__all__ = [
    "CHANNEL_ROLES",
    "CallVocabulary",
    "DecodeOptions",
    "RawSegment",
    "Transcript",
    "TranscriptionError",
    "TranscriptionProvider",
    "TranscriptionUnavailable",
    "get_transcription_provider",
    "recording_transcribe",
    "segments_apply_roles",
    "transcribe_recording",
    "vocabulary_from_context",
]

# Exotel's dual-channel recordings: the seller (agent leg) left, the buyer right.
CHANNEL_ROLES = (("Speaker 1", "seller"), ("Speaker 2", "buyer"))
MONO_SPEAKER = "Speaker 1"


@cache
def _provider(path: str) -> TranscriptionProvider:
    return provider_load(path)


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


# A channel "has speech" when it carries at least this much speech energy; its transcript is
# "near-empty" below this many words per second of that energy (people say about 2.5).
SPEECH_MIN_SECONDS = 2.0
NEAR_EMPTY_WORDS_PER_SECOND = 0.25
# ... or when the transcript's segments cover less than this share of it.
MIN_COVERAGE = 0.35


@dataclass
class ChannelReport:
    """What happened on one channel (for the bench and the logs; no transcript text)."""

    channel: str  # "seller", "buyer" or "mono"
    speech_seconds: float
    words: int
    coverage: float
    retried: bool = False
    recovered_words: int = 0
    lost: bool = False


@dataclass
class Transcript:
    segments: list[dict[str, Any]]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    channels: list[ChannelReport] = field(default_factory=list)
    mono_method: str | None = None


def decode_options(vocabulary: CallVocabulary | None) -> DecodeOptions:
    """The first-pass settings: VAD tuned for phone calls, the agency's vocabulary."""
    use_vocabulary = vocabulary is not None and settings.WHISPER_VOCABULARY
    return DecodeOptions(
        hotwords=vocabulary.hotwords() if use_vocabulary and settings.WHISPER_HOTWORDS else "",
        initial_prompt=(
            vocabulary.initial_prompt()
            if use_vocabulary and settings.WHISPER_INITIAL_PROMPT
            else ""
        ),
        vad_filter=settings.WHISPER_VAD,
        vad_parameters={
            "threshold": settings.WHISPER_VAD_THRESHOLD,
            "min_silence_duration_ms": settings.WHISPER_VAD_MIN_SILENCE_MS,
            "speech_pad_ms": settings.WHISPER_VAD_SPEECH_PAD_MS,
        },
    )


@cache
def _takes_options(kind: type) -> bool:
    try:
        return "options" in inspect.signature(kind.transcribe).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False


def _call(provider, samples: np.ndarray, options: DecodeOptions) -> list[RawSegment]:
    if _takes_options(type(provider)):
        return provider.transcribe(samples=samples, sample_rate=SAMPLE_RATE, options=options)
    return provider.transcribe(samples=samples, sample_rate=SAMPLE_RATE)


# A segment is split where its words pause this long: on one leg of a dual-channel call a pause
# is usually the other side talking, and segments must interleave by turn.
SPLIT_PAUSE_SECONDS = 0.8


def split_at_pauses(raws: list[RawSegment], pause: float = SPLIT_PAUSE_SECONDS) -> list[RawSegment]:
    out: list[RawSegment] = []
    for raw in raws:
        if len(raw.words) < 2:
            out.append(raw)
            continue
        groups: list[list[tuple[float, float, str]]] = [[raw.words[0]]]
        for word in raw.words[1:]:
            if word[0] - groups[-1][-1][1] >= pause:
                groups.append([])
            groups[-1].append(word)
        if len(groups) == 1:
            out.append(raw)
            continue
        for group in groups:
            out.append(
                RawSegment(
                    start=group[0][0],
                    end=group[-1][1],
                    text=" ".join(w[2] for w in group),
                    confidence=raw.confidence,
                    words=tuple(group),
                )
            )
    return out


def _word_count(raws: list[RawSegment]) -> int:
    return sum(len(raw.text.split()) for raw in raws)


def _speech_lost(activity: SpeechActivity, raws: list[RawSegment]) -> bool:
    seconds = activity.active_seconds
    if seconds < SPEECH_MIN_SECONDS:
        return False
    if _word_count(raws) < NEAR_EMPTY_WORDS_PER_SECOND * seconds:
        return True
    return activity.covered_fraction([(r.start, r.end) for r in raws]) < MIN_COVERAGE


# The retry runs without the filters that keep a model from "hearing" words in noise, so what it
# adds must look like speech: not a loop of one word, not a low-confidence guess.
RETRY_MIN_CONFIDENCE = 0.3
RETRY_MAX_COMPRESSION = 2.4
RETRY_MIN_DISTINCT = 0.4


def plausible(raw: RawSegment, *, min_confidence: float = 0.0) -> bool:
    """False for a typical hallucination over noise or silence ("heh, heh, heh, ...", a name
    from the vocabulary repeated over and over, a faint guess)."""
    tokens = re.findall(r"[a-z0-9']+", raw.text.lower())
    if not tokens:
        return False
    if raw.confidence is not None and raw.confidence < min_confidence:
        return False
    if len(tokens) >= 4 and len(set(tokens)) / len(tokens) < RETRY_MIN_DISTINCT:
        return False
    data = raw.text.encode()
    return len(data) < 40 or len(data) / len(zlib.compress(data)) <= RETRY_MAX_COMPRESSION


def _fill_gaps(
    first: list[RawSegment], retry: list[RawSegment], activity: SpeechActivity
) -> list[RawSegment]:
    """The first pass plus the retry's segments where the first pass heard nothing."""
    if not first:
        return list(retry)
    spans = [(r.start, r.end) for r in first]
    added = []
    for raw in retry:
        overlaps = any(raw.start < end and start < raw.end for start, end in spans)
        if not overlaps and activity.covered_fraction([(raw.start, raw.end)]) < 1.0:
            added.append(raw)
    return sorted([*first, *added], key=lambda r: (r.start, r.end))


CHANNEL_NAMES = {"seller": "the seller's channel", "buyer": "the buyer's channel"}


def _lost_warning(channel: str, report: ChannelReport) -> dict[str, Any]:
    where = CHANNEL_NAMES.get(channel, "the recording")
    if report.words == 0:
        return {
            "code": "channel_speech_not_transcribed",
            "channel": channel,
            "message": (
                f"{where[0].upper()}{where[1:]} carries {report.speech_seconds:.0f} s of "
                "speech-like sound but no words were recognised, even on a second pass without "
                "the speech filters; the transcript and the analysis leave that side out."
            ),
            "speech_seconds": round(report.speech_seconds, 1),
        }
    return {
        "code": "channel_speech_partly_transcribed",
        "channel": channel,
        "message": (
            f"Only {report.coverage:.0%} of the speech on {where} was transcribed "
            f"({report.words} words for {report.speech_seconds:.0f} s of speech), even on a "
            "second pass; the transcript of that side is incomplete."
        ),
        "speech_seconds": round(report.speech_seconds, 1),
        "coverage": round(report.coverage, 2),
    }


def channel_transcribe(
    provider: TranscriptionProvider,
    samples: np.ndarray,
    *,
    channel: str,
    options: DecodeOptions,
) -> tuple[list[RawSegment], ChannelReport, dict[str, Any] | None]:
    """One channel: decode; when it has speech energy but (almost) no text, decode again with
    its speech brought to -20 dBFS and without the VAD and no-speech filters, and keep what the
    first pass missed; a warning if it is still lost."""
    activity = speech_activity(samples)
    normalised = channel_normalise(samples, activity)
    if settings.WHISPER_NORMALISE:
        samples = normalised
    raws = [raw for raw in _call(provider, samples, options) if plausible(raw)]
    report = ChannelReport(
        channel=channel,
        speech_seconds=round(activity.active_seconds, 2),
        words=_word_count(raws),
        coverage=0.0,
    )
    can_retry = _takes_options(type(provider)) and getattr(provider, "retries_lost_speech", True)
    if _speech_lost(activity, raws) and can_retry:
        before = report.words
        retry = [
            raw
            for raw in _call(provider, normalised, options.retry())
            if plausible(raw, min_confidence=RETRY_MIN_CONFIDENCE)
        ]
        raws = _fill_gaps(raws, retry, activity)
        report.retried = True
        report.words = _word_count(raws)
        report.recovered_words = report.words - before
    report.coverage = round(activity.covered_fraction([(r.start, r.end) for r in raws]), 3)
    warning = None
    if _speech_lost(activity, raws):
        report.lost = True
        warning = _lost_warning(channel, report)
        logger.warning(
            "Speech lost on the %s channel: %.1f s of speech, %d words, coverage %.2f",
            channel,
            report.speech_seconds,
            report.words,
            report.coverage,
        )
    return raws, report, warning


def recording_transcribe(
    path: Path,
    *,
    provider: TranscriptionProvider | None = None,
    vocabulary: CallVocabulary | None = None,
) -> Transcript:
    """Transcribe the recording at ``path`` into segments ordered by time, with warnings.

    A dual-channel recording is transcribed per channel (seller left, buyer right); a mono one
    is split into two speakers with roles (``pipeline.transcription.diarize``). A channel with
    speech energy that yields (almost) no text is retried; if it is still lost, the transcript
    carries a warning ``{code, message, channel, ...}``. Raises ``TranscriptionError`` when the
    file is corrupt or silent or nothing is recognised, ``TranscriptionUnavailable`` when a
    remote service is down.
    """
    provider = provider or get_transcription_provider()
    options = decode_options(vocabulary)
    audio = audio_decode(path)
    transcript = Transcript(segments=[])
    if audio.is_dual_channel:
        for samples, (speaker, role) in zip(audio.channels, CHANNEL_ROLES, strict=True):
            if is_silent(samples):
                continue  # a silent leg only makes a model hallucinate
            raws, report, warning = channel_transcribe(
                provider, samples, channel=role, options=options
            )
            transcript.channels.append(report)
            if warning:
                transcript.warnings.append(warning)
            transcript.segments.extend(
                _segment(raw, speaker, role) for raw in split_at_pauses(raws)
            )
    else:
        samples = audio.channels[0]
        raws, report, warning = channel_transcribe(
            provider, samples, channel="mono", options=options
        )
        transcript.channels.append(report)
        if warning:
            transcript.warnings.append(warning)
        if settings.TRANSCRIPTION_MONO_SPEAKERS:
            vocab = vocabulary or CallVocabulary()
            attribution = mono_attribute(
                samples,
                raws,
                seller_name=vocab.seller_name,
                buyer_name=vocab.buyer_name,
                agency_name=vocab.agency_name,
            )
            transcript.mono_method = attribution.method
        if transcript.mono_method and transcript.mono_method != "single":
            transcript.segments.extend(attribution.segments)
        else:  # one speaker label, roles left to the analysis
            transcript.segments.extend(
                _segment(raw, MONO_SPEAKER, "unknown") for raw in split_at_pauses(raws)
            )
    if not transcript.segments:
        raise TranscriptionError("No speech was recognised in the recording")
    transcript.segments.sort(key=lambda item: (item["start"], item["end"]))
    return transcript


def transcribe_recording(
    path: Path,
    *,
    provider: TranscriptionProvider | None = None,
    vocabulary: CallVocabulary | None = None,
) -> list[dict[str, Any]]:
    """The segments of ``recording_transcribe`` (without its warnings)."""
    return recording_transcribe(path, provider=provider, vocabulary=vocabulary).segments


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
