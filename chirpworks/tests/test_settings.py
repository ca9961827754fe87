import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_empty_database_url_means_the_default_sqlite_database():
    env = {**os.environ, "DATABASE_URL": "", "DJANGO_SETTINGS_MODULE": "chirpworks.settings.local"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    result = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def _settings_of(module: str, code: str, **env) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": module, **env}
    result = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "JWT_SIGNING_KEY": "y" * 50,
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://chirpworks:pw@db.example:5432/chirpworks",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",  # production refuses to start without
}


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    code = (
        "from django.conf import settings; from django.db import connection; "
        "d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], "
        "connection.settings_dict['CONN_MAX_AGE'], connection.settings_dict['CONN_HEALTH_CHECKS'])"
    )
    out = _settings_of("chirpworks.settings.production", code, **PRODUCTION_ENV)
    assert out == "60 True 60 True"
    out = _settings_of("chirpworks.settings.production", code, **PRODUCTION_ENV, CONN_MAX_AGE="300")
    assert out == "300 True 300 True"


def test_the_filesystem_broker_keeps_every_folder_under_var():
    code = (
        "from django.conf import settings; from chirpworks.celery import app; "
        "import json; print(json.dumps(app.conf.broker_transport_options))"
    )
    import json

    out = json.loads(
        _settings_of(
            "chirpworks.settings.local", code, CELERY_BROKER_URL="filesystem://", REDIS_URL=""
        )
    )
    broker = ROOT / "var" / "broker"
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert Path(out[key]).is_relative_to(broker), key
    assert not (ROOT / "control").exists()


def test_the_filesystem_broker_carries_a_task_and_a_broadcast_inside_its_folders(tmp_path):
    """A real round trip on kombu's filesystem transport: nothing lands in ./control."""
    code = (
        "from chirpworks.celery import app; "
        "conn = app.connection_for_write(); "
        "q = conn.SimpleQueue('chirpworks-selftest'); q.put({'ok': 1}); "
        "m = q.get(timeout=5); m.ack(); print(m.payload['ok']); q.close(); "
        "app.control.broadcast('ping', connection=conn); conn.release()"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chirpworks.settings.local"}
    env.update(CELERY_BROKER_URL="filesystem://", REDIS_URL="")
    result = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "1"
    assert not (tmp_path / "control").exists() and not (tmp_path / "processed").exists()
    assert any((ROOT / "var" / "broker" / "control").iterdir())


def test_an_empty_broker_url_means_the_embedded_broker_not_amqp():
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"
    out = _settings_of("chirpworks.settings.local", code, CELERY_BROKER_URL="", REDIS_URL="")
    assert out == "filesystem://"
