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
