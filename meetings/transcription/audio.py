"""Decoding recordings (WAV, MP3, M4A/AAC, OGG, ... through PyAV) into 16 kHz float samples."""

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from faster_whisper.audio import decode_audio

from meetings.transcription.base import TranscriptionError

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
