"""Exotel's REST API: the credentials an agency uses and the Bulk Call Details client.

Credentials are the agency's own (``Agency.exotel_*``) when it has them, else the platform-wide
``EXOTEL_*`` settings. They travel only as HTTP basic auth, never in a URL, a log line or an
exception message.

The Bulk Call Details API (``GET /v1/Accounts/<sid>/Calls.json``) lists an account's calls,
filtered by ``DateCreated`` (``gte:…;lte:…`` in the account's time, at most a month per query,
at most six months back), ``From`` / ``To`` (up to five numbers each), ``PageSize`` (up to 100),
and pages on by ``Metadata.NextPageUri``. Voice APIs allow 200 requests a minute per account;
the client counts its requests per account and minute in the cache and stops before that.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_NUMBERS_PER_FILTER = 5  # Exotel's limit for From and To
MAX_PAGE_SIZE = 100
MAX_RANGE = timedelta(days=30)  # "maximum date range of 1 month"
MAX_LOOKBACK = timedelta(days=180)  # "call records only up to 6 months old"
EXOTEL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ExotelCredentials:
    account_sid: str
    api_key: str
    api_token: str
    api_host: str  # "api.exotel.com" (Singapore), "api.in.exotel.com" (Mumbai), or a base URL

    @property
    def base_url(self) -> str:
        host = self.api_host.strip().rstrip("/")
        return host if "://" in host else f"https://{host}"

    @property
    def can_query(self) -> bool:
        return bool(self.account_sid and self.api_host)

    @property
    def auth(self) -> tuple[str, str]:
        return (self.api_key, self.api_token)

    def __repr__(self) -> str:  # never print the token
        return f"ExotelCredentials(account_sid={self.account_sid!r}, api_host={self.api_host!r})"


def exotel_credentials_for(agency) -> ExotelCredentials | None:
    """The agency's Exotel credentials, else the platform's settings, else None.

    The key and token are used as a pair from one source: an agency with its own key but no
    token does not borrow the platform's token. The account SID and host fall back separately;
    recording downloads need only the key and token, the API also the SID (``can_query``).
    """
    key = getattr(agency, "exotel_api_key", "") if agency is not None else ""
    token = getattr(agency, "exotel_api_token", "") if agency is not None else ""
    if not (key and token):
        key, token = settings.EXOTEL_API_KEY, settings.EXOTEL_API_TOKEN
    sid = (getattr(agency, "exotel_account_sid", "") if agency is not None else "") or (
        settings.EXOTEL_ACCOUNT_SID
    )
    host = (getattr(agency, "exotel_api_host", "") if agency is not None else "") or (
        settings.EXOTEL_API_HOST
    )
    if not (key and token):
        return None
    return ExotelCredentials(account_sid=sid, api_key=key, api_token=token, api_host=host)


class ExotelApiError(Exception):
    """Exotel refused or failed a request; ``rate_limited`` when it was (or would be) a 429."""

    def __init__(self, message: str, *, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.rate_limited = rate_limited


def _take_request_slot(account_sid: str) -> None:
    """Count one request against the account's per-minute budget; raise when it is spent."""
    minute = timezone.now().strftime("%Y%m%d%H%M")
    key = f"exotel-api-requests:{account_sid}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        used = 1
    if used > settings.EXOTEL_API_REQUESTS_PER_MINUTE:
        raise ExotelApiError("Exotel request budget for this minute is spent", rate_limited=True)


def date_ranges(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive pieces of at most ``MAX_RANGE``."""
    while start <= end:
        piece_end = min(end, start + MAX_RANGE - timedelta(seconds=1))
        yield start, piece_end
        start = piece_end + timedelta(seconds=1)


class ExotelClient:
    def __init__(self, credentials: ExotelCredentials, *, tz: ZoneInfo) -> None:
        self.credentials = credentials
        self.tz = tz
        self.timeout = settings.EXOTEL_API_TIMEOUT_SECONDS
        self.requests_made = 0

    def _get(self, url: str, params: dict | None) -> dict:
        _take_request_slot(self.credentials.account_sid)
        self.requests_made += 1
        try:
            response = requests.get(
                url, params=params, auth=self.credentials.auth, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ExotelApiError(f"Exotel request failed: {type(exc).__name__}") from None
        if response.status_code == 429:
            raise ExotelApiError("Exotel answered 429 Too Many Requests", rate_limited=True)
        if response.status_code != 200:
            raise ExotelApiError(f"Exotel answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise ExotelApiError("Exotel answered something that is not JSON") from None
        return body if isinstance(body, dict) else {}

    def _next_page(self, next_uri: str) -> tuple[str, dict]:
        """Follow ``NextPageUri`` on the same host only (credentials never go elsewhere)."""
        base = urlsplit(self.credentials.base_url)
        parts = urlsplit(next_uri)
        if parts.netloc and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise ExotelApiError("Exotel's next page points at another host")
        return f"{base.scheme}://{base.netloc}{parts.path}", dict(parse_qsl(parts.query))

    def calls(
        self,
        *,
        created_from: datetime,
        created_to: datetime,
        from_numbers: list[str] = (),
        to_numbers: list[str] = (),
        max_pages: int = 20,
    ) -> Iterator[dict]:
        """Every call Exotel created in ``[created_from, created_to]`` from / to those numbers.

        The range is cut into pieces of at most a month; numbers go at most five per filter.
        """
        if len(from_numbers) > MAX_NUMBERS_PER_FILTER or len(to_numbers) > MAX_NUMBERS_PER_FILTER:
            raise ValueError("Exotel filters take at most five numbers each")
        oldest = timezone.now() - MAX_LOOKBACK
        created_from = max(created_from, oldest)
        url = f"{self.credentials.base_url}/v1/Accounts/{self.credentials.account_sid}/Calls.json"
        for start, end in date_ranges(created_from, created_to):
            params = {
                "DateCreated": (
                    f"gte:{start.astimezone(self.tz).strftime(EXOTEL_TIME_FORMAT)};"
                    f"lte:{end.astimezone(self.tz).strftime(EXOTEL_TIME_FORMAT)}"
                ),
                "PageSize": MAX_PAGE_SIZE,
                "SortBy": "DateCreated:asc",
            }
            if from_numbers:
                params["From"] = ",".join(from_numbers)
            if to_numbers:
                params["To"] = ",".join(to_numbers)
            page_url, page_params = url, params
            for _ in range(max_pages):
                body = self._get(page_url, page_params)
                for call in body.get("Calls") or []:
                    if isinstance(call, dict):
                        yield call
                next_uri = (body.get("Metadata") or {}).get("NextPageUri")
                if not next_uri:
                    break
                page_url, page_params = self._next_page(str(next_uri))
