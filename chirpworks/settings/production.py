"""Production: secrets, hosts and mail must come from the environment; logs are JSON lines."""

from django.core.exceptions import ImproperlyConfigured

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
# Persistent connections (Django reads these per database, never as module settings), checked
# before reuse so a connection the database or a proxy dropped is replaced, not failed on.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")

# Mail carries generated passwords: never print it to the console or a file. No EMAIL_URL (or a
# console/file one) stops the start-up instead of quietly writing passwords to stdout.
if not env.str("EMAIL_URL", default=""):
    raise ImproperlyConfigured("EMAIL_URL must be set in production (e.g. smtp+tls://…)")
EMAIL_CONFIG = env.email_url("EMAIL_URL")
if EMAIL_CONFIG["EMAIL_BACKEND"].rsplit(".", 2)[-2] in ("console", "filebased", "locmem"):
    raise ImproperlyConfigured("EMAIL_URL must name a real mail server in production")
vars().update(EMAIL_CONFIG)
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
