"""The buyer search's cache generation per agency: bumped by every buyer write, read by
``insights.buyer_selectors.buyer_search``.

It writes to the cache, so it is not a selector; it sits here, below the buyer writers and the
search that use it. (Each caller's search budget is ``insights.throttles.BuyerSearchThrottle``.)
"""

import uuid

from django.core.cache import cache

from chirpworks.outages import cache_best_effort


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
