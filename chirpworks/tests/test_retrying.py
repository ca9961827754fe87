"""Celery retries one way: ``autoretry_for`` transient types with backoff and jitter, nothing
broader; a permanent error is not retried; a task given a vanished row's id exits cleanly."""

import uuid
from datetime import date

import pytest
from django.db import OperationalError

from calls.recordings import RecordingDownloadError, RecordingUnavailable
from calls.tasks import download_exotel_recording
from chirpworks.celery import app
from chirpworks.retrying import DATABASE_ERRORS, RetryingTask, TransientError
from insights.tasks import refresh_insights_for
from pipeline.tasks import process_job
from rollups import tasks as rollup_tasks
from search.tasks import index_entity

GONE = str(uuid.UUID(int=0))


@pytest.fixture
def replay_retries():
    """Eager tasks chain their retries (countdown skipped) when errors do not propagate."""
    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


def _retrying_tasks():
    app.loader.import_default_modules()
    return [task for name, task in app.tasks.items() if getattr(task, "autoretry_for", ())]


def test_every_retrying_task_retries_one_way():
    tasks = _retrying_tasks()
    names = {task.name for task in tasks}
    assert {
        "calls.tasks.download_exotel_recording",
        "meetings.tasks.process_job",
        "rollups.tasks.refresh_daily_rollups",
        "insights.tasks.refresh_insights_for",
        "meetings.search.index_entity",
        "meetings.search.index_entities",
    } <= names
    for task in tasks:
        assert isinstance(task, RetryingTask), task.name
        assert task.retry_backoff and task.retry_jitter is True, task.name
        assert isinstance(task.max_retries, int), task.name
        for kind in task.autoretry_for:
            # Transient by type: never Exception, never a type that is not known to pass.
            assert issubclass(kind, (TransientError, *DATABASE_ERRORS)), (task.name, kind)


def test_the_limits_stay_those_of_the_settings(settings):
    assert process_job.max_retries == settings.JOB_MAX_RETRIES
    assert process_job.retry_backoff == settings.JOB_RETRY_BACKOFF
    assert process_job.retry_backoff_max == settings.JOB_RETRY_BACKOFF_MAX
    download = download_exotel_recording
    assert (download.max_retries, download.retry_backoff) == (8, 15)
    assert download.retry_backoff_max == settings.EXOTEL_DOWNLOAD_BACKOFF_MAX


def test_a_download_error_is_transient_only_by_type():
    assert RecordingUnavailable("busy").transient and isinstance(
        RecordingUnavailable("busy"), TransientError
    )
    assert not RecordingDownloadError("refused", transient=False).transient
    with pytest.raises(TypeError):
        RecordingDownloadError("busy", transient=True)


@pytest.mark.django_db
def test_a_bug_in_the_rollup_refresh_is_not_retried(monkeypatch, replay_retries):
    """Bug fix: ``autoretry_for=(Exception,)`` retried a bug five times."""
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise ValueError("a bug")

    monkeypatch.setattr(rollup_tasks, "daily_rollups_refresh", broken)
    result = rollup_tasks.refresh_daily_rollups.apply(args=[[[GONE, "2026-11-18"]]])
    assert result.failed() and len(calls) == 1


@pytest.mark.django_db
def test_a_database_blip_in_the_rollup_refresh_is_retried(monkeypatch, replay_retries):
    calls = []

    def blinks_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return 0

    monkeypatch.setattr(rollup_tasks, "daily_rollups_refresh", blinks_once)
    result = rollup_tasks.refresh_daily_rollups.apply(args=[[[GONE, "2026-11-18"]]])
    assert result.get() == 0 and len(calls) == 2


@pytest.mark.django_db
def test_tasks_given_a_vanished_row_exit_cleanly():
    assert process_job.apply(args=[GONE]).get() == "skipped"
    assert download_exotel_recording.apply(args=[GONE]).successful()
    assert rollup_tasks.refresh_daily_rollups.apply(args=[[[GONE, str(date.today())]]]).get() == 0
    assert refresh_insights_for.apply(args=["buyer", [GONE]]).get() == 0
    assert index_entity.apply(args=["meeting", GONE]).successful()
