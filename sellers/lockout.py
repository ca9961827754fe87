"""Failed sign-in attempts counted per account (email), whatever address they come from.

The per-IP throttles stop one client; this stops a guesser who rotates addresses. After
``AUTH_FAILURES_PER_EMAIL`` failures inside one window of ``AUTH_FAILURE_WINDOW_SECONDS`` the
account's login and password change answer 429 until the window ends. Counters live in the shared
cache (Redis in production) under a hash of the email and the window's number, so the email is
never a cache key and the window is read from our clock (the cache's expiry only cleans up).
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from chirpworks.exceptions import TooManyRequestsError


def _window() -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    size = settings.AUTH_FAILURE_WINDOW_SECONDS
    now = int(time.time())
    return now // size, size - now % size


def _key(*, scope: str, email: str, window: int) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"auth-failures:{scope}:{digest}:{window}"


def auth_failures_check(*, scope: str, email: str) -> None:
    """Raise 429 (``TooManyRequestsError``) when the account failed too often in this window."""
    window, left = _window()
    if cache.get(_key(scope=scope, email=email, window=window), 0) >= (
        settings.AUTH_FAILURES_PER_EMAIL
    ):
        raise TooManyRequestsError(wait=left)


def auth_failure_record(*, scope: str, email: str) -> None:
    window, left = _window()
    key = _key(scope=scope, email=email, window=window)
    # add() creates the counter once; incr() is atomic on Redis, so concurrent failures all count.
    cache.add(key, 0, timeout=left + 60)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add() and incr()
        cache.add(key, 1, timeout=left + 60)


def auth_failures_clear(*, scope: str, email: str) -> None:
    window, _ = _window()
    cache.delete(_key(scope=scope, email=email, window=window))
