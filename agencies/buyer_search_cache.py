"""The buyer search's cache state: each agency's cache generation (bumped by every buyer write,
read by ``insights.buyer_selectors.buyer_search``) and each caller's per-minute search budget.

Both write to the cache, so they are not selectors; they sit here, below the buyer writers and
the search that use them.
"""

import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache

from chirpworks.exceptions import ApplicationError
from chirpworks.outages import cache_best_effort
from sellers.models import Seller


def buyer_search_cache_version(*, agency_id: uuid.UUID) -> int:
    """The agency's buyer-search cache generation: part of every cached answer's key."""
    return cache.get_or_set(f"buyer-search-version:{agency_id}", 1, None)


def buyer_search_cache_invalidate(*, agency_id: uuid.UUID) -> None:
    """A buyer was created or changed: cached searches of the agency are stale."""
    key = f"buyer-search-version:{agency_id}"

    def bump() -> None:
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 2, None)

    # The buyer is saved by now: a cache outage must not turn that into an error.
    cache_best_effort(bump, what="buyer search cache invalidation")


def buyer_search_rate_limit(*, actor: Seller) -> dict[str, Any]:
    """Count this search against the caller's per-minute budget; over it, 429 with the budget."""
    allowed = getattr(settings, "BUYER_SEARCH_RATE_PER_MINUTE", 10)
    window = int(time.time() // 60)
    key = f"buyer-search-rate:{actor.pk}:{window}"
    cache.add(key, 0, 120)
    try:
        made = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 120)
        made = 1
    reset = datetime.fromtimestamp((window + 1) * 60, tz=UTC)
    budget = {
        "requests_made": made,
        "requests_remaining": max(0, allowed - made),
        "reset_time": format_datetime(reset, usegmt=True),
    }
    if made > allowed:
        raise ApplicationError(
            "Rate limit exceeded. Try again later.",
            code="RATE_LIMIT_EXCEEDED",
            status_code=429,
            extra={"rate_limit": budget},
        )
    return budget
