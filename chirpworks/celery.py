import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.local")

app = Celery("chirpworks")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folder(sender: Celery, **kwargs) -> None:
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


_log_tokens: dict[str, object] = {}


@task_prerun.connect
def _bind_task_log_context(task_id: str, task, args=(), kwargs=None, **_) -> None:
    from chirpworks.logging import bind_task_context

    kwargs = kwargs or {}
    job_id = kwargs.get("job_id") or (args[0] if args and task.name.endswith("_job") else None)
    _log_tokens[task_id] = bind_task_context(task_id, str(job_id) if job_id else None)


@task_postrun.connect
def _reset_task_log_context(task_id: str, **_) -> None:
    from chirpworks.logging import reset_context

    token = _log_tokens.pop(task_id, None)
    if token is not None:
        reset_context(token)


@worker_ready.connect
def _announce_worker(sender, **_) -> None:
    sender.app.send_task("chirpworks.tasks.record_worker_heartbeat")
