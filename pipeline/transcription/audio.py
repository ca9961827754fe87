"""Decoding recordings (WAV, MP3, M4A/AAC, OGG, ... through PyAV) into 16 kHz float samples."""

import io
import itertools
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from faster_whisper.audio import decode_audio

from pipeline.transcription.base import TranscriptionError

SAMPLE_RATE = 16_000
# Peak below -60 dBFS: nothing a speech model can use.
SILENCE_PEAK = 0.001
# Two channels this close are one signal recorded twice, not a dual-channel call.
SAME_CHANNEL_TOLERANCE = 0.01


@dataclass(frozen=True)
class DecodedAudio:
    channels: list[np.ndarray]  # one float32 array per channel (1 or 2), 16 kHz
    duration: float  # seconds

    @property
    def is_dual_channel(self) -> bool:
        return len(self.channels) == 2


def _channel_count(path: Path) -> int:
    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise TranscriptionError("The recording has no audio track")
            return streams[0].codec_context.channels or 1
    except av.FFmpegError as exc:
        raise TranscriptionError(
            "The recording could not be decoded (corrupt file or unsupported format)"
        ) from exc


def is_silent(samples: np.ndarray) -> bool:
    return samples.size == 0 or float(np.max(np.abs(samples))) < SILENCE_PEAK


def audio_decode(path: Path) -> DecodedAudio:
    """Decode ``path``; raise ``TranscriptionError`` for a corrupt, empty or silent recording."""
    channels = _channel_count(path)
    try:
        decoded = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=channels >= 2)
    except (av.FFmpegError, ValueError) as exc:
        raise TranscriptionError(
            "The recording could not be decoded (corrupt file or unsupported format)"
        ) from exc
    parts = list(decoded) if channels >= 2 else [decoded]
    if not parts or parts[0].size == 0:
        raise TranscriptionError("The recording is empty or could not be decoded")
    if all(is_silent(part) for part in parts):
        raise TranscriptionError("The recording is silent")
    if len(parts) == 2:
        left, right = parts
        if float(np.max(np.abs(left - right))) <= SAME_CHANNEL_TOLERANCE:
            parts = [left]  # a mono call stored as stereo
    return DecodedAudio(channels=parts, duration=parts[0].size / SAMPLE_RATE)


# Speech activity: 20 ms frames, energy in the telephone speech band.
FRAME_SECONDS = 0.02
SPEECH_BAND_HZ = (250.0, 3800.0)
# A frame is active when its speech-band level is this far above the channel's noise floor
# (its 10th percentile) and above an absolute floor (-60 dBFS): loud steady noise is no speech,
# speech must rise and fall.
ACTIVE_ABOVE_FLOOR_DB = 12.0
ACTIVE_MIN_DBFS = -60.0
# Level the speech of every channel is brought to before decoding (the far leg of a phone call
# is often 10-20 dB quieter than the near one).
TARGET_SPEECH_DBFS = -20.0
MAX_GAIN_DB = 30.0


@dataclass(frozen=True)
class SpeechActivity:
    """Where a channel carries speech energy (measured on the decoded samples, not by a model)."""

    active: np.ndarray  # bool per frame
    frame_seconds: float
    speech_dbfs: float | None  # median level of the active frames

    @property
    def active_seconds(self) -> float:
        return float(self.active.sum()) * self.frame_seconds

    def covered_fraction(self, spans: list[tuple[float, float]]) -> float:
        """The share of active frames inside any of ``spans`` (seconds); 1.0 with none active."""
        total = int(self.active.sum())
        if not total:
            return 1.0
        inside = np.zeros_like(self.active)
        for start, end in spans:
            first = max(0, int(start / self.frame_seconds))
            last = min(inside.size, int(np.ceil(end / self.frame_seconds)))
            inside[first:last] = True
        return float((inside & self.active).sum()) / total


def _frames(samples: np.ndarray, size: int) -> np.ndarray:
    count = samples.size // size
    return samples[: count * size].reshape(count, size)


def speech_band_levels(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Per 20 ms frame, the level (dBFS) of the energy in the speech band."""
    size = int(sample_rate * FRAME_SECONDS)
    frames = _frames(samples.astype(np.float32, copy=False), size)
    if not frames.size:
        return np.zeros(0, dtype=np.float32)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(size), axis=1)) ** 2
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    band = (freqs >= SPEECH_BAND_HZ[0]) & (freqs <= SPEECH_BAND_HZ[1])
    # Parseval with the Hann window's power gain: the band's mean-square amplitude per frame.
    power = 2.0 * spectrum[:, band].sum(axis=1) / (size * (np.hanning(size) ** 2).sum())
    return (10.0 * np.log10(power + 1e-12)).astype(np.float32)


def speech_activity(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> SpeechActivity:
    levels = speech_band_levels(samples, sample_rate)
    if not levels.size:
        return SpeechActivity(np.zeros(0, dtype=bool), FRAME_SECONDS, None)
    floor = float(np.percentile(levels, 10))
    threshold = max(floor + ACTIVE_ABOVE_FLOOR_DB, ACTIVE_MIN_DBFS)
    active = levels > threshold
    # Bridge gaps shorter than 200 ms (stops, short pauses) and drop blips shorter than 60 ms.
    active = _close(active, 10)
    active = _open(active, 3)
    speech = float(np.median(levels[active])) if active.any() else None
    return SpeechActivity(active, FRAME_SECONDS, speech)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _close(mask: np.ndarray, gap: int) -> np.ndarray:
    out = mask.copy()
    runs = _runs(mask)
    for (_, end), (start, _) in itertools.pairwise(runs):
        if start - end <= gap:
            out[end:start] = True
    return out


def _open(mask: np.ndarray, shortest: int) -> np.ndarray:
    out = mask.copy()
    for start, end in _runs(mask):
        if end - start < shortest:
            out[start:end] = False
    return out


def channel_normalise(samples: np.ndarray, activity: SpeechActivity) -> np.ndarray:
    """The channel with its speech at ``TARGET_SPEECH_DBFS`` (gain bounded, peaks kept < 1)."""
    if activity.speech_dbfs is None:
        return samples
    gain_db = min(MAX_GAIN_DB, TARGET_SPEECH_DBFS - activity.speech_dbfs)
    gain = 10.0 ** (gain_db / 20.0)
    peak = float(np.max(np.abs(samples))) * gain
    if peak > 0.99:
        gain *= 0.99 / peak
    return (samples * gain).astype(np.float32)


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit PCM mono WAV of float samples, for services that take a file upload."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
