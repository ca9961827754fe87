"""Failed sign-in attempts counted per account (email), whatever address they come from.

The per-IP throttles stop one client; this stops a guesser who rotates addresses. After
``AUTH_FAILURES_PER_EMAIL`` failures inside ``AUTH_FAILURE_WINDOW_SECONDS`` the account's login
and password change answer 429 until the window ends. Counters live in the shared cache (Redis in
production) under a hash of the email, so the email itself is never a cache key.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled


def _key(*, scope: str, email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"auth-failures:{scope}:{digest}"


def auth_failures_check(*, scope: str, email: str) -> None:
    """Raise 429 (``Throttled``) when this account has failed too often lately."""
    failures = cache.get(_key(scope=scope, email=email), 0)
    if failures >= settings.AUTH_FAILURES_PER_EMAIL:
        raise Throttled(wait=settings.AUTH_FAILURE_WINDOW_SECONDS)


def auth_failure_record(*, scope: str, email: str) -> None:
    key = _key(scope=scope, email=email)
    # add() starts the window once; incr() is atomic on Redis, so concurrent failures all count.
    cache.add(key, 0, timeout=settings.AUTH_FAILURE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, timeout=settings.AUTH_FAILURE_WINDOW_SECONDS)


def auth_failures_clear(*, scope: str, email: str) -> None:
    cache.delete(_key(scope=scope, email=email))
