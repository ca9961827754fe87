"""The buyer search's budget is a DRF throttle whose rate is the declared setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from insights.throttles import BuyerSearchThrottle

pytestmark = pytest.mark.django_db

SEARCH = "/api/buyers/search"


def test_the_rate_is_the_declared_throttle_setting():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["buyer_search"] == "10/min"
    assert BuyerSearchThrottle().rate == "10/min"


def test_the_rate_is_read_from_throttle_buyer_search():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chirpworks.settings.test",
        "THROTTLE_BUYER_SEARCH": "3/hour",
    }
    rate = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; "
            "print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['buyer_search'])",
        ],
        env=environment,
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert rate == "3/hour"


def test_the_default_budget_is_ten_a_minute_and_the_429_says_when_it_resets(client_for, seller):
    client = client_for(seller)
    budgets = [client.get(SEARCH, {"q": "abc"}).json()["rate_limit"] for _ in range(10)]
    assert [budget["requests_made"] for budget in budgets] == list(range(1, 11))
    assert budgets[-1]["requests_remaining"] == 0
    response = client.get(SEARCH, {"q": "abc"})
    assert response.status_code == 429
    # The clock is frozen at 06:00:00 UTC: the window ends a minute later.
    assert response.json() == {
        "error": "Rate limit exceeded. Try again later.",
        "code": "RATE_LIMIT_EXCEEDED",
        "rate_limit": {
            "requests_made": 11,
            "requests_remaining": 0,
            "reset_time": "Wed, 18 Nov 2026 06:01:00 GMT",
        },
    }
    assert response["Retry-After"] == "60"
