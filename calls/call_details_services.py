"""The Call Details fallback: Exotel's API asked for the calls whose webhooks never came."""

import logging
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from agencies.models import Agency
from calls.exotel_parsing import (
    CALL_SID_PATTERN,
    MAX_CALL_SECONDS,
    agency_agent_numbers,
    exotel_time_parse,
    number_parse,
    real_buyer,
)
from calls.exotel_services import exotel_call_ingest_for_agency
from calls.models import AppCallStatus, CallType, ExotelCall, MobileAppCall
from chirpworks.exceptions import ApplicationError

logger = logging.getLogger(__name__)

CALL_DETAILS_BATCH = 500  # app calls looked up per run
CALL_DETAILS_MARGIN = timedelta(minutes=5)  # DateCreated is a little before the call's start
_AGENCIES_TOLD_NO_CREDENTIALS: set[uuid.UUID] = set()


@dataclass
class CallDetailsResult:
    app_calls: int = 0  # app calls looked up
    requests: int = 0
    rows: int = 0  # rows Exotel returned
    ingested: int = 0  # rows new to ChirpWorks, ingested as webhooks
    without_credentials: int = 0  # app calls of agencies with no Exotel credentials
    stopped: str = ""  # why the run stopped early (rate limit, Exotel error)


def _call_details_params(row: dict) -> dict:
    """A Call Details row as the webhook's parameters (the same ingest reads both)."""
    keys = (
        "From",
        "To",
        "Status",
        "StartTime",
        "EndTime",
        "Duration",
        "RecordingUrl",
        "Direction",
        "DateCreated",
        "PhoneNumberSid",
    )
    params = {key: str(row[key]) for key in keys if row.get(key) is not None}
    params["CallSid"] = str(row.get("Sid") or "")
    return params


# The webhook serializer's text fields: a row's values are trimmed as the webhook's are.
WEBHOOK_TEXT_KEYS = (
    "CallSid",
    "From",
    "To",
    "DialWhomNumber",
    "Status",
    "StartTime",
    "EndTime",
    "RecordingUrl",
    "Direction",
    "DateCreated",
)


def _call_details_clean(params: dict) -> dict:
    """A row's parameters held to what the webhook's ``ExotelWebhookInputSerializer`` accepts.

    Raises ``ApplicationError`` for a row the webhook would have refused with a 400.
    """
    cleaned = dict(params)
    for key in WEBHOOK_TEXT_KEYS:
        if key not in cleaned:
            continue
        value = cleaned[key].strip().strip('"').strip()
        if "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise ApplicationError(f"{key}: unprintable characters")
        cleaned[key] = value
    if not re.match(CALL_SID_PATTERN, cleaned["CallSid"]):
        raise ApplicationError("CallSid may hold only letters, digits, '.', '_' and '-'.")
    duration = params.get("Duration")
    if duration not in (None, ""):
        try:
            seconds = Decimal(str(duration).strip().strip('"'))
        except (InvalidOperation, ValueError):
            return cleaned  # not a number: ignored, as Exotel's odd values always were
        if not seconds.is_finite() or seconds > MAX_CALL_SECONDS:
            raise ApplicationError(f"Duration: must be at most {MAX_CALL_SECONDS} seconds")
    return cleaned


def _lookup_groups(calls: list[MobileAppCall], agents: set[str]):
    """App calls grouped by the ``From`` Exotel shows them under (at most five numbers a group)
    and by day.

    Outgoing calls (and calls the phone logged from an ExoPhone: Exotel ringing the seller
    first) are ``From`` the seller; incoming calls are ``From`` the buyer.
    """
    by_number: dict[str, list[MobileAppCall]] = defaultdict(list)
    for call in calls:
        buyer = real_buyer(call.buyer_number, agents)
        incoming = call.call_type == CallType.INCOMING and buyer
        by_number[buyer if incoming else call.seller.phone].append(call)
    numbers = sorted(by_number)
    for start in range(0, len(numbers), 5):
        group = numbers[start : start + 5]
        # One query per day of calls: a week-long range would page through every other call.
        by_day: dict = defaultdict(list)
        for number in group:
            for call in by_number[number]:
                by_day[call.start_time.date()].append(call)
        for day in sorted(by_day):
            yield group, by_day[day]


def exotel_calls_fetch_missing(*, now: datetime | None = None) -> CallDetailsResult:
    """Ask Exotel's Bulk Call Details API for the calls whose webhooks never came.

    Answered app calls still without an Exotel call ``CALL_RECONCILE_GRACE_MINUTES`` after they
    ended (within ``EXOTEL_CALL_DETAILS_LOOKBACK_DAYS``) are looked up at most
    ``EXOTEL_CALL_DETAILS_MAX_LOOKUPS`` times, ``EXOTEL_CALL_DETAILS_RETRY_MINUTES`` apart. Each
    row Exotel returns that ChirpWorks does not have is ingested exactly as its webhook would
    have been (download, reconciliation and all). Agencies without Exotel credentials are skipped,
    and said so once per process.
    """
    from calls.exotel import ExotelApiError, ExotelClient, exotel_credentials_for

    now = now or timezone.now()
    result = CallDetailsResult()
    by_agency: dict[uuid.UUID, list[MobileAppCall]] = defaultdict(list)
    for call in _calls_to_look_up(now=now):
        by_agency[call.seller.agency_id].append(call)
    agent_numbers = agency_agent_numbers(agency_ids=list(by_agency))
    tolerance = timedelta(seconds=settings.CALL_MATCH_TOLERANCE_SECONDS)
    for agency_id, agency_calls in by_agency.items():
        agency = agency_calls[0].seller.agency
        credentials = exotel_credentials_for(agency)
        if credentials is None or not credentials.can_query:
            result.without_credentials += len(agency_calls)
            if agency_id not in _AGENCIES_TOLD_NO_CREDENTIALS:
                _AGENCIES_TOLD_NO_CREDENTIALS.add(agency_id)
                logger.warning(
                    "Exotel Call Details fallback skipped for agency %s: no Exotel account SID, "
                    "API key and token (Agency fields or EXOTEL_* settings)",
                    agency_id,
                )
            continue
        client = ExotelClient(credentials, tz=agency.tzinfo)
        agents = agent_numbers[agency_id]
        try:
            for numbers, group in _lookup_groups(agency_calls, agents):
                found = list(
                    client.calls(
                        created_from=min(c.start_time for c in group) - CALL_DETAILS_MARGIN,
                        created_to=max(c.end_time for c in group) + CALL_DETAILS_MARGIN,
                        from_numbers=numbers,
                    )
                )
                result.rows += len(found)
                result.ingested += _call_details_ingest(
                    agency=agency, rows=found, looked_for=group, tolerance=tolerance
                )
                MobileAppCall.objects.filter(pk__in=[c.pk for c in group]).update(
                    exotel_lookups=F("exotel_lookups") + 1, exotel_looked_up_at=now
                )
                result.app_calls += len(group)
        except ExotelApiError as exc:
            result.stopped = str(exc)  # the rest waits for the next run
            logger.warning("Exotel Call Details fallback stopped: %s", exc)
            result.requests += client.requests_made
            break
        result.requests += client.requests_made
    return result


def _calls_to_look_up(*, now: datetime) -> list[MobileAppCall]:
    """Answered app calls past the grace period with no Exotel call, due for a look-up."""
    grace = timedelta(minutes=settings.CALL_RECONCILE_GRACE_MINUTES)
    retry = timedelta(minutes=settings.EXOTEL_CALL_DETAILS_RETRY_MINUTES)
    return list(
        MobileAppCall.objects.filter(
            status=AppCallStatus.PROCESSING,
            exotel_call__isnull=True,
            end_time__lt=now - grace,
            start_time__gte=now - timedelta(days=settings.EXOTEL_CALL_DETAILS_LOOKBACK_DAYS),
            exotel_lookups__lt=settings.EXOTEL_CALL_DETAILS_MAX_LOOKUPS,
        )
        .filter(Q(exotel_looked_up_at__isnull=True) | Q(exotel_looked_up_at__lt=now - retry))
        .select_related("seller__agency")
        .order_by("start_time")[:CALL_DETAILS_BATCH]
    )


def _call_details_ingest(
    *, agency: Agency, rows: list[dict], looked_for: list[MobileAppCall], tolerance: timedelta
) -> int:
    rows = [row for row in rows if row.get("Sid")]
    known = set(
        ExotelCall.objects.filter(call_sid__in=[str(r["Sid"]) for r in rows]).values_list(
            "call_sid", flat=True
        )
    )
    ingested = 0
    for row in rows:
        if str(row["Sid"]) in known:
            continue  # its webhook came after all: nothing to add
        params = _call_details_params(row)
        # An incoming row names the buyer and the ExoPhone, not who answered: the app call it
        # answers (same buyer, same start) says which seller that was.
        start = exotel_time_parse(params.get("StartTime"), tz=agency.tzinfo)
        caller = number_parse(params.get("From"), region=agency.default_phone_region)
        for call in looked_for:
            if (
                call.call_type == CallType.INCOMING
                and call.buyer_number == caller
                and start is not None
                and abs(start - call.start_time) <= tolerance
            ):
                params["DialWhomNumber"] = call.seller.phone
                break
        try:
            exotel_call_ingest_for_agency(agency=agency, params=_call_details_clean(params))
        except ApplicationError as exc:
            logger.warning("Call Details row %s not ingested: %s", params["CallSid"][:64], exc)
            continue
        ingested += 1
    return ingested
