"""The processing task end to end, on real recordings, with the offline providers."""

import wave
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone

from actions.models import Action
from meetings import job_services
from meetings.models import PERFORMANCE_METRICS, CallPerformance, Job, JobStatus
from pipeline import processing, tasks
from pipeline.transcription import RawSegment, TranscriptionUnavailable

pytestmark = pytest.mark.django_db(transaction=True)


def write_wav(path: Path, samples: np.ndarray, rate: int = 8000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


def test_stereo_recording_is_processed_end_to_end(make_job, catalogue):
    job = make_job("d1-stereo.ogg")

    tasks.process_job.delay(str(job.pk))

    job.refresh_from_db()
    meeting = job.meeting
    meeting.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.attempts == 1 and job.error == ""
    assert job.started_at <= job.finished_at
    segments = meeting.transcription
    assert len(segments) >= 4
    assert set(segments[0]) == {
        "speaker",
        "role",
        "text",
        "translation",
        "confidence",
        "start",
        "end",
    }
    # Dual channel: both parties are attributed, and the merge keeps time order.
    assert {s["role"] for s in segments} == {"seller", "buyer"}
    assert [s["start"] for s in segments] == sorted(s["start"] for s in segments)
    assert "arjun" in segments[0]["text"].lower()
    assert any("quote" in s["text"].lower() for s in segments if s["role"] == "buyer")
    performance = CallPerformance.objects.get(meeting=meeting)
    scores = [performance.metrics()[m]["score"] for m in PERFORMANCE_METRICS]
    assert performance.overall_score == pytest.approx(sum(scores) / len(scores), abs=0.01)
    assert meeting.title and meeting.summary
    assert meeting.analysis_extras["provider"] == "offline"
    assert Action.objects.filter(meeting=meeting).exists()


def test_mono_recording_gets_two_speakers_with_roles(make_job):
    job = make_job("d2-mono.mp3")

    tasks.process_job.delay(str(job.pk))

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    segments = job.meeting.transcription
    assert {(s["speaker"], s["role"]) for s in segments} == {
        ("Speaker 1", "seller"),
        ("Speaker 2", "buyer"),
    }
    assert any("comparison" in s["text"].lower() for s in segments)


def test_mono_roles_come_from_the_analysis_without_attribution(make_job, monkeypatch, settings):
    settings.TRANSCRIPTION_MONO_SPEAKERS = False
    job = make_job("d2-mono.mp3")
    original = processing.job_analyse

    def analyse_with_roles(*, job, segments):
        return {**original(job=job, segments=segments), "speaker_roles": {"Speaker 1": "seller"}}

    monkeypatch.setattr(processing, "job_analyse", analyse_with_roles)
    tasks.process_job.delay(str(job.pk))

    job.refresh_from_db()
    assert {s["role"] for s in job.meeting.transcription} == {"seller"}


def test_running_a_completed_job_again_changes_nothing(make_job):
    job = make_job("d1-stereo.ogg")
    tasks.process_job.delay(str(job.pk))
    job.refresh_from_db()
    actions = sorted(Action.objects.filter(meeting=job.meeting).values_list("id", flat=True))

    assert tasks.process_job.delay(str(job.pk)).get() == "skipped"

    job.refresh_from_db()
    assert job.attempts == 1
    assert (
        sorted(Action.objects.filter(meeting=job.meeting).values_list("id", flat=True)) == actions
    )


def test_a_missing_job_is_skipped(db):
    assert tasks.process_job.delay("8a4f7e0e-8d57-4a1c-9f3c-8d0c8f6d1d11").get() == "skipped"


def test_corrupt_recording_fails_clearly_and_touches_nothing(make_job, tmp_path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3\x03\x00\x00\x00" + bytes(range(256)) * 40)
    job = make_job(bad)

    assert tasks.process_job.delay(str(job.pk)).get() == "failed"

    job.refresh_from_db()
    assert job.status == JobStatus.FAILURE
    assert "could not be decoded" in job.error
    assert job.finished_at is not None
    job.meeting.refresh_from_db()
    assert job.meeting.transcription == []
    assert job.meeting.title == "Call"
    assert not CallPerformance.objects.exists() and not Action.objects.exists()


def test_silent_recording_fails_clearly(make_job, tmp_path):
    silent = write_wav(tmp_path / "silent.wav", np.zeros(8000 * 3))
    job = make_job(silent)

    tasks.process_job.delay(str(job.pk))

    job.refresh_from_db()
    assert job.status == JobStatus.FAILURE
    assert job.error == "The recording is silent"
    assert job.meeting.transcription == [] and not CallPerformance.objects.exists()


def test_missing_recording_fails(make_job):
    job = make_job(recording=None)

    tasks.process_job.delay(str(job.pk))

    job.refresh_from_db()
    assert job.status == JobStatus.FAILURE
    assert job.error == "The meeting has no recording"


class FlakyTranscriber:
    """Unavailable ``failures`` times, then a fixed transcript."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def transcribe(self, *, samples, sample_rate):
        self.calls += 1
        if self.calls <= self.failures:
            raise TranscriptionUnavailable("Transcription service unavailable (APITimeoutError)")
        return [RawSegment(start=0.0, end=2.0, text="I will send the quote tomorrow.")]


@pytest.fixture
def flaky(monkeypatch):
    # Eager tasks only chain their retries (countdown skipped) when errors do not propagate.
    conf = tasks.process_job.app.conf
    propagates = conf.task_eager_propagates
    conf.task_eager_propagates = False

    def install(failures: int) -> FlakyTranscriber:
        provider = FlakyTranscriber(failures)
        monkeypatch.setattr("pipeline.transcription.get_transcription_provider", lambda: provider)
        return provider

    yield install
    conf.task_eager_propagates = propagates


def test_transient_failures_retry_then_complete(make_job, flaky, settings):
    settings.JOB_MAX_RETRIES = 3
    provider = flaky(failures=2)
    job = make_job("d6-mono.ogg")

    assert tasks.process_job.delay(str(job.pk)).get() == "completed"

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.attempts == 3  # two retries after the failures
    assert provider.calls == 3
    assert job.meeting.transcription[0]["text"] == "I will send the quote tomorrow."


def test_transient_failures_give_up_after_the_limit(make_job, flaky, monkeypatch):
    monkeypatch.setattr(tasks.process_job, "max_retries", 2)
    flaky(failures=10)
    job = make_job("d6-mono.ogg")

    assert tasks.process_job.delay(str(job.pk)).get() == "failed"

    job.refresh_from_db()
    assert job.status == JobStatus.FAILURE
    assert job.attempts == 3
    assert "unavailable" in job.error and "gave up after 3 attempts" in job.error
    assert job.meeting.transcription == []


def test_retry_countdown_backs_off_with_jitter(settings):
    settings.JOB_RETRY_BACKOFF = 10
    settings.JOB_RETRY_BACKOFF_MAX = 100
    samples = [tasks.retry_countdown(3) for _ in range(200)]
    assert all(0 <= value <= 80 for value in samples)
    assert len(set(samples)) > 5  # jittered, not a fixed delay
    assert max(tasks.retry_countdown(10) for _ in range(50)) <= 100


def test_task_options_protect_against_lost_workers():
    assert tasks.process_job.acks_late and tasks.process_job.reject_on_worker_lost
    assert tasks.process_job.soft_time_limit < tasks.process_job.time_limit


class WorkerKilled(BaseException):
    """Stands for the worker process dying mid-job (nothing in the task can catch it)."""


def test_job_killed_midway_is_requeued_and_completes_once(make_job, monkeypatch, settings):
    job = make_job("d1-stereo.ogg")

    def die(*, job, segments):
        raise WorkerKilled

    monkeypatch.setattr(processing, "job_analyse", die)
    with pytest.raises(WorkerKilled):
        tasks.process_job.delay(str(job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.IN_PROGRESS and job.attempts == 1
    monkeypatch.undo()
    settings.MEDIA_ROOT = job.meeting.recording.storage.location  # undo() reset it too

    # A redelivered message while the job looks alive does not start a second run.
    assert tasks.process_job.delay(str(job.pk)).get() == "skipped"
    assert tasks.requeue_stuck_jobs.delay().get() == []

    # The dead worker stops renewing its lease; once it runs out, the sweep takes the job over.
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.requeue_stuck_jobs.delay().get() == [str(job.pk)]

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.attempts == 2
    assert job.meeting.transcription
    assert CallPerformance.objects.filter(meeting=job.meeting).count() == 1
    # Nothing left to re-queue, and the results were written once.
    assert tasks.requeue_stuck_jobs.delay().get() == []
    titles = list(Action.objects.filter(meeting=job.meeting).values_list("title", flat=True))
    assert len(titles) == len(set(titles))


def test_stuck_job_over_the_attempt_limit_fails(make_job, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = make_job(
        "d1-stereo.ogg",
        status=JobStatus.IN_PROGRESS,
        attempts=2,
        started_at=timezone.now() - timedelta(days=1),
    )

    assert job_services.job_requeue_stuck() == []

    job.refresh_from_db()
    assert job.status == JobStatus.FAILURE
    assert "lost 2 times" in job.error


def test_results_of_a_superseded_attempt_are_dropped(make_job, catalogue):
    job = make_job("d1-stereo.ogg")
    claimed = job_services.job_claim(job_id=str(job.pk))
    # Meanwhile the job was re-queued and claimed again by another worker.
    Job.objects.filter(pk=job.pk).update(attempts=2)

    written = job_services.job_complete_with_results(
        job=claimed, attempt=1, transcription=[{"text": "x"}], analysis={}
    )

    assert written is False
    job.refresh_from_db()
    assert job.status == JobStatus.IN_PROGRESS and job.meeting.transcription == []


def test_storage_outage_is_retried(make_job, flaky, monkeypatch, settings):
    settings.JOB_MAX_RETRIES = 2
    flaky(failures=0)
    job = make_job("d6-mono.ogg")
    real_open = processing.default_storage.open
    calls = []

    def flaky_open(name, mode="rb"):
        calls.append(name)
        if len(calls) == 1:
            raise ConnectionResetError("storage connection reset")
        return real_open(name, mode)

    monkeypatch.setattr(processing.default_storage, "open", flaky_open)
    assert tasks.process_job.delay(str(job.pk)).get() == "completed"
    job.refresh_from_db()
    assert len(calls) == 2 and job.attempts == 2 and job.status == JobStatus.COMPLETED


def test_soft_time_limit_fails_the_job(make_job, monkeypatch, settings):
    from celery.exceptions import SoftTimeLimitExceeded

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(processing, "recording_transcribe", too_slow)
    job = make_job("d6-mono.ogg")

    assert tasks.process_job.delay(str(job.pk)).get() == "failed"

    job.refresh_from_db()
    assert job.status == JobStatus.FAILURE
    assert job.error == f"Processing took longer than {settings.JOB_SOFT_TIME_LIMIT} s"
