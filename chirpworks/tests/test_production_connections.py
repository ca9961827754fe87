"""Production's database connections: persistent by default, Django's psycopg pool on request."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
db = settings.DATABASES["default"]
out = {"max_age": db.get("CONN_MAX_AGE"), "pool": db.get("OPTIONS", {}).get("pool")}
if out["pool"]:
    out["pool"] = {k: v for k, v in out["pool"].items() if k != "check"}
if connection.vendor == "postgresql" and __import__("os").environ.get("CONNECT"):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1")
        out["answer"] = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        out["jit"] = cursor.fetchone()[0]
    out["pooled"] = connection.pool is not None
print(json.dumps(out))
"""


def production_settings(database_url: str, **env: str) -> dict:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chirpworks.settings.production",
        "DJANGO_SECRET_KEY": "production-test-key",
        "DJANGO_ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": database_url,
        "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",  # production requires one
        **env,
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


URL = "postgres://postgres@127.0.0.1:5432/chirpworks"


def test_no_pool_by_default():
    assert production_settings(URL)["pool"] is None


def test_pool_when_asked_and_then_no_persistent_connections():
    found = production_settings(URL, DATABASE_POOL_MAX_SIZE="8", DATABASE_POOL_MIN_SIZE="1")
    assert found["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10.0, "max_idle": 300}
    assert found["max_age"] == 0  # Django refuses a pool with persistent connections


def test_no_pool_on_sqlite_even_when_asked(tmp_path):
    found = production_settings(f"sqlite:///{tmp_path}/x.sqlite3", DATABASE_POOL_MAX_SIZE="8")
    assert found["pool"] is None


@pytest.mark.django_db
def test_a_pooled_connection_answers_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    found = production_settings(url, DATABASE_POOL_MAX_SIZE="2", CONNECT="1")
    assert (found["answer"], found["pooled"], found["jit"]) == (42, True, "off")


@pytest.mark.django_db
def test_postgresql_connections_never_jit_compile():
    """PostgreSQL's JIT compiled a buyer's 17 ms call history for 712 ms (200,000 meetings)."""
    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    assert production_settings(url, CONNECT="1")["jit"] == "off"
