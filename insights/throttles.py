"""The buyer search's per-user budget, a DRF throttle whose state the response shows.

The old backend answered every search with ``rate_limit: {requests_made, requests_remaining,
reset_time}`` over fixed windows (10 a minute), and 429 with the same budget once it was spent.
"""

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from chirpworks.exceptions import BudgetThrottled


class BuyerSearchThrottle(SimpleRateThrottle):
    """``THROTTLE_BUYER_SEARCH`` searches per user per fixed window; refused ones count too.

    The window's budget is left on the request as ``request.rate_limit`` for the view to echo;
    over it, ``BudgetThrottled`` carries the budget into the 429 body.
    """

    scope = "buyer_search"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_cache_key(self, request: Request, view: Any) -> str:
        window = int(self.timer() // self.duration)
        return self.cache_format % {"scope": self.scope, "ident": f"{request.user.pk}:{window}"}

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        # add() then incr(): atomic on Redis, so concurrent searches all count.
        self.cache.add(key, 0, self.duration * 2)
        try:
            made = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.set(key, 1, self.duration * 2)
            made = 1
        now = self.timer()
        reset = (int(now // self.duration) + 1) * self.duration
        request.rate_limit = {
            "requests_made": made,
            "requests_remaining": max(0, self.num_requests - made),
            "reset_time": format_datetime(datetime.fromtimestamp(reset, tz=UTC), usegmt=True),
        }
        if made > self.num_requests:
            raise BudgetThrottled(wait=reset - now, rate_limit=request.rate_limit)
        return True
