"""Production: secrets and hosts must come from the environment; logs are JSON lines."""

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60)
SECURE_CONTENT_TYPE_NOSNIFF = True
CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")

# Database connections (issue 18). Default: one persistent connection per process, checked before
# reuse (CONN_MAX_AGE / CONN_HEALTH_CHECKS in DATABASES; gunicorn sync workers and Celery prefork
# children each serve one request or task at a time, so a pool per process would hold one
# connection anyway). DATABASE_POOL_MAX_SIZE > 0 turns on Django's psycopg pool instead, for
# threaded or async web processes (gunicorn gthread, ASGI), where threads share a few
# connections; a pool requires CONN_MAX_AGE 0. Set it for the web processes only, not Celery.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=0)
if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # the pool checks connections itself
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),  # s to wait for one
        "max_idle": 300,
    }  # Django adds check=ConnectionPool.check_connection: a connection is tested when lent
