"""Test settings: the database comes from DATABASE_URL (SQLite by default), tasks run eagerly."""

from .base import *  # noqa: F403
from .base import CACHES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default="/tmp/chirpworks-test-media")  # noqa: S108

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"

CACHES["default"]["KEY_PREFIX"] = "chirpworks-test"
TEST_TOKEN_SECRET = "test-token-secret"  # noqa: S105
