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
