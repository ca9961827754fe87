"""Issue 13, transcription: vocabulary, deterministic decoding, speech never lost silently, and
two speakers with roles on mono recordings."""

import itertools
import wave
from pathlib import Path

import numpy as np
import pytest

from agencies.models import Tracker
from meetings.models import JobStatus
from pipeline import processing
from pipeline.tests.conftest import RECORDINGS
from pipeline.transcription import (
    CallVocabulary,
    DecodeOptions,
    RawSegment,
    plausible,
    recording_transcribe,
    split_at_pauses,
)
from pipeline.transcription.audio import audio_decode, speech_activity
from pipeline.transcription.diarize import role_cues

SAMPLE_RATE = 16_000
SELLER_TEXT = (
    "Hello Arjun, this is Priya from SecureLife Insurance. You asked about Term Shield. For your "
    "age it is about twelve thousand a year. Would you like the critical illness rider too? I "
    "will email both quotes by the day after tomorrow."
)


def write_stereo(path: Path, left: np.ndarray, right: np.ndarray) -> Path:
    pcm = (np.clip(np.stack([left, right], axis=1), -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return path


def speech_band_bursts(size: int, seed: int = 7) -> np.ndarray:
    """Noise in the telephone band (300-3400 Hz), in syllable-rate bursts: it has the energy
    pattern of speech, but no words, so speech filters drop it and the model hears nothing."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(size)
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(size, 1 / SAMPLE_RATE)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    noise = np.fft.irfft(spectrum, size)
    noise /= np.abs(noise).max()
    t = np.arange(size) / SAMPLE_RATE
    envelope = (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2 * ((t % 3.0) < 1.8)
    return (0.3 * noise * envelope).astype(np.float32)


@pytest.fixture
def buyer_leg_lost(tmp_path) -> Path:
    """The seller's real speech on the left; on the right, speech-band bursts no model hears."""
    seller = audio_decode(RECORDINGS / "d1-stereo.ogg").channels[0]
    return write_stereo(tmp_path / "lost-buyer.wav", seller, speech_band_bursts(seller.size))


# --- speech energy ------------------------------------------------------------------------------


def test_speech_activity_measures_speech_not_steady_noise():
    seller = audio_decode(RECORDINGS / "d1-stereo.ogg").channels[0]
    steady = np.random.default_rng(1).standard_normal(seller.size).astype(np.float32) * 0.05

    assert speech_activity(seller).active_seconds > 8
    assert speech_activity(steady).active_seconds < 0.5
    assert speech_activity(np.zeros(SAMPLE_RATE * 5, dtype=np.float32)).active_seconds == 0


def test_hallucinations_over_noise_are_not_plausible():
    assert not plausible(RawSegment(0, 5, "heh, heh, heh, heh, heh, heh, heh, heh, heh"))
    assert not plausible(RawSegment(0, 5, "Lakeview, Lakeview, Lakeview, Lakeview, Lakeview"))
    assert not plausible(RawSegment(0, 1, "Thanks.", confidence=0.1), min_confidence=0.3)
    assert plausible(RawSegment(0, 3, "I will send the quotation by Friday evening."))


# --- never lose speech silently -----------------------------------------------------------------


class VadDropsTheBuyer:
    """A provider whose first pass (with VAD) drops the second channel, like the no-speech
    filter did on the issue's held-out call; the retry without filters hears it."""

    name = "vad-drops"

    def __init__(self, *, retry_hears: bool):
        self.retry_hears = retry_hears
        self.first_passes = 0
        self.calls: list[tuple[int, DecodeOptions]] = []

    def transcribe(self, *, samples, sample_rate, options=None):
        self.first_passes += options.vad_filter  # channels come one after the other
        channel = self.first_passes
        self.calls.append((channel, options))
        if channel == 1:
            return [RawSegment(0.2, 27.0, SELLER_TEXT)]
        if options.vad_filter or not self.retry_hears:
            return []
        return [RawSegment(7.0, 13.0, "Yes I want a cover of one crore for twenty years")]


def test_a_channel_dropped_by_the_filters_is_retried_and_recovered():
    provider = VadDropsTheBuyer(retry_hears=True)

    transcript = recording_transcribe(RECORDINGS / "d1-stereo.ogg", provider=provider)

    retry = [o for _, o in provider.calls if not o.vad_filter]
    assert len(retry) == 1 and retry[0].no_speech_threshold is None
    assert [s["role"] for s in transcript.segments] == ["seller", "buyer"]
    assert transcript.warnings == []
    buyer = next(c for c in transcript.channels if c.channel == "buyer")
    assert buyer.retried and buyer.recovered_words == 11 and not buyer.lost


def test_a_channel_still_empty_after_the_retry_gets_a_warning():
    provider = VadDropsTheBuyer(retry_hears=False)

    transcript = recording_transcribe(RECORDINGS / "d1-stereo.ogg", provider=provider)

    [warning] = transcript.warnings
    assert warning["code"] == "channel_speech_not_transcribed"
    assert warning["channel"] == "buyer"
    assert "buyer's channel" in warning["message"]
    assert warning["speech_seconds"] > 3


def test_real_model_warns_about_speech_energy_it_cannot_transcribe(buyer_leg_lost):
    transcript = recording_transcribe(buyer_leg_lost)

    [warning] = transcript.warnings
    assert (warning["code"], warning["channel"]) == ("channel_speech_not_transcribed", "buyer")
    buyer = next(c for c in transcript.channels if c.channel == "buyer")
    assert buyer.retried and buyer.lost and buyer.words == 0
    assert {s["role"] for s in transcript.segments} == {"seller"}
    assert "priya" in " ".join(s["text"] for s in transcript.segments).lower()


def test_quiet_speech_is_transcribed(tmp_path):
    original = audio_decode(RECORDINGS / "d1-stereo.ogg")
    quiet = original.channels[1] * 10 ** (-40 / 20)
    path = write_stereo(tmp_path / "quiet.wav", original.channels[0], quiet)

    transcript = recording_transcribe(path)

    buyer = " ".join(s["text"] for s in transcript.segments if s["role"] == "buyer").lower()
    assert "premium" in buyer and "rider" in buyer
    assert transcript.warnings == []


def test_the_job_completes_with_the_warning_shown_by_the_api_and_admin(
    make_job, buyer_leg_lost, client_for, seller, staff_client
):
    job = make_job(buyer_leg_lost)

    assert processing.job_run(job_id=str(job.pk)) == "completed"

    job.refresh_from_db()
    meeting = job.meeting
    assert job.status == JobStatus.COMPLETED
    [warning] = meeting.warnings
    assert (warning["code"], warning["channel"]) == ("channel_speech_not_transcribed", "buyer")

    body = client_for(seller).get(f"/api/meetings/call_data/{meeting.pk}").json()
    assert body["warnings"] == meeting.warnings

    page = staff_client.get(f"/admin/meetings/meeting/{meeting.pk}/change/")
    assert "channel_speech_not_transcribed" in page.content.decode()
    listing = staff_client.get("/admin/meetings/meeting/", {"warnings": "yes"})
    assert str(meeting.pk) in listing.content.decode()
    job_page = staff_client.get(f"/admin/meetings/job/{job.pk}/change/")
    assert "channel_speech_not_transcribed" in job_page.content.decode()


def test_a_clean_reprocessing_clears_old_warnings(make_job, buyer_leg_lost):
    job = make_job("d1-stereo.ogg")
    job.meeting.warnings = [{"code": "channel_speech_not_transcribed", "channel": "buyer"}]
    job.meeting.save()

    assert processing.job_run(job_id=str(job.pk)) == "completed"

    job.meeting.refresh_from_db()
    assert job.meeting.warnings == []


# --- decoding -----------------------------------------------------------------------------------


def test_the_same_file_gives_the_same_segments():
    first = recording_transcribe(RECORDINGS / "d3-stereo.ogg").segments
    second = recording_transcribe(RECORDINGS / "d3-stereo.ogg").segments
    assert first == second
    assert len(first) >= 4


def test_segments_are_split_where_a_leg_pauses_so_turns_interleave():
    words = ((0.0, 0.4, "Hello"), (0.5, 0.9, "Arjun."), (6.0, 6.5, "Shall"), (6.6, 7.0, "we?"))
    raw = RawSegment(0.0, 7.0, "Hello Arjun. Shall we?", 0.8, words)

    parts = split_at_pauses([raw])

    assert [(p.start, p.end, p.text) for p in parts] == [
        (0.0, 0.9, "Hello Arjun."),
        (6.0, 7.0, "Shall we?"),
    ]


def test_stereo_segments_interleave_by_turn():
    segments = recording_transcribe(RECORDINGS / "d1-stereo.ogg").segments
    roles = [s["role"] for s in segments]
    # seller, buyer, seller, buyer, seller in the script: at least four changes of speaker
    assert sum(a != b for a, b in itertools.pairwise(roles)) >= 4


def test_vocabulary_is_bounded_and_puts_names_first():
    vocabulary = CallVocabulary(
        agency_name="SecureLife Insurance",
        seller_name="Priya Shah",
        buyer_name="Arjun",
        products=["Term Shield", *[f"Product number {i}" for i in range(60)]],
        competitors=["Star Health"],
        features=["critical illness rider"],
    )

    hotwords = vocabulary.hotwords()

    assert hotwords.startswith("Priya Shah, Arjun, SecureLife Insurance, Term Shield")
    assert len(hotwords) <= 320
    assert "critical illness rider" not in hotwords
    assert len(vocabulary.initial_prompt()) <= 200
    assert vocabulary.initial_prompt().startswith("Hello, this is Priya from SecureLife Insurance.")


class RecordingOptions:
    name = "records-options"

    def __init__(self):
        self.options: list[DecodeOptions] = []

    def transcribe(self, *, samples, sample_rate, options=None):
        self.options.append(options)
        return [RawSegment(0.0, 25.0, SELLER_TEXT)]


def test_the_job_gives_the_agency_vocabulary_to_the_model(
    make_job, catalogue, monkeypatch, settings
):
    settings.WHISPER_VOCABULARY = True
    provider = RecordingOptions()
    monkeypatch.setattr("pipeline.transcription.get_transcription_provider", lambda: provider)
    job = make_job("d6-mono.ogg")
    agency = job.meeting.agency
    Tracker.objects.create(agency=agency, name="competitors", phrases=["Star Health"])
    agency.save()

    assert processing.job_run(job_id=str(job.pk)) == "completed"

    hotwords = provider.options[0].hotwords
    for term in ("Term Shield", "Health Plus Family", "Star Health", "Arjun", agency.name):
        assert term in hotwords
    assert job.meeting.seller.name in hotwords
    assert provider.options[0].initial_prompt.startswith("Hello, this is")


def test_without_the_vocabulary_setting_the_model_gets_no_prompt(make_job, monkeypatch, settings):
    settings.WHISPER_VOCABULARY = False
    provider = RecordingOptions()
    monkeypatch.setattr("pipeline.transcription.get_transcription_provider", lambda: provider)

    assert processing.job_run(job_id=str(make_job("d6-mono.ogg").pk)) == "completed"

    assert (provider.options[0].hotwords, provider.options[0].initial_prompt) == ("", "")


# --- mono recordings ----------------------------------------------------------------------------


def test_text_cues_tell_the_seller_from_the_buyer():
    kwargs = {"seller_name": "Priya Shah", "buyer_name": "Ganesh", "agency_name": "SecureLife"}
    seller = role_cues("Good evening Ganesh, Priya from Secure Life here.", **kwargs)
    buyer = role_cues("Hi Priya. How much is the premium for one crore?", **kwargs)
    assert seller > 0 > buyer


def test_mono_recording_gets_two_speakers_with_roles():
    transcript = recording_transcribe(
        RECORDINGS / "d6-mono.ogg",
        vocabulary=CallVocabulary(
            agency_name="SecureLife Insurance", seller_name="Priya Shah", buyer_name="Ganesh"
        ),
    )

    assert {s["speaker"] for s in transcript.segments} == {"Speaker 1", "Speaker 2"}
    assert {s["role"] for s in transcript.segments} == {"seller", "buyer"}
    assert all(s["speaker"] == "Speaker 1" for s in transcript.segments if s["role"] == "seller")
    assert transcript.mono_method == "clusters+text+level"


def test_a_near_and_a_far_voice_on_one_channel_are_told_apart(tmp_path):
    """The seller near, the buyer through the phone network (300-3400 Hz, quieter), mixed on one
    channel as a phone's recorder hears them: most words go to the right side."""
    near, far = audio_decode(RECORDINGS / "d1-stereo.ogg").channels
    spectrum = np.fft.rfft(far)
    freqs = np.fft.rfftfreq(far.size, 1 / SAMPLE_RATE)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    far = (np.fft.irfft(spectrum, far.size) * 0.4).astype(np.float32)
    path = tmp_path / "phone-recorder.wav"
    pcm = (np.clip(near + far, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    truth = {
        "seller": speech_activity(near).active,
        "buyer": speech_activity(far).active,
    }

    transcript = recording_transcribe(
        path,
        vocabulary=CallVocabulary(
            agency_name="SecureLife Insurance", seller_name="Priya Shah", buyer_name="Arjun"
        ),
    )

    right = total = 0
    for segment in transcript.segments:
        tokens = segment["text"].split()
        span = segment["end"] - segment["start"]
        for i in range(len(tokens)):
            frame = int((segment["start"] + span * (i + 0.5) / len(tokens)) / 0.02)
            owners = [role for role, active in truth.items() if active[min(frame, active.size - 1)]]
            if len(owners) == 1:
                total += 1
                right += segment["role"] == owners[0]
    assert total > 30
    assert right / total >= 0.8
