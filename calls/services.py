"""Writes on calls: the app's call-log sync, Exotel webhooks and recordings, reconciliation.

One real call can reach ChirpWorks as an app call-log item, an Exotel webhook, or both, in either
order, minutes apart, retried and sometimes concurrently. Rows are idempotent by their natural
keys (``appCallId`` per seller, ``CallSid``), and every write that decides what a seller's calls
become (sync and reconciliation) runs under a lock on that seller's row, so two workers never
turn one call into two meetings.
"""

import hmac
import logging
import uuid
import zoneinfo
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from agencies.models import Agency, Buyer
from agencies.services import buyers_find_or_create_bulk
from calls.models import (
    AppCallStatus,
    CallType,
    ExotelCall,
    ExotelStatus,
    MobileAppCall,
    RecordingStatus,
)
from calls.recordings import (
    RecordingDownloadError,
    audio_probe,
    recording_fetcher,
    url_without_credentials,
)
from calls.serializers import AppCallItemSerializer, ExotelWebhookInputSerializer
from chirpworks.bulk import bulk_update_rows
from chirpworks.exceptions import ApplicationError, ForbiddenError
from chirpworks.outages import task_send, task_send_on_commit
from chirpworks.phones import InvalidPhoneNumber, phone_parse
from chirpworks.signals import KIND_MOBILE_CALL, calls_written, entities_changed_send
from chirpworks.timeframes import within_date_bounds
from meetings.services import (
    CallMeetingSpec,
    meetings_attach_recordings,
    meetings_create_for_calls,
    meetings_fill_from_app_calls,
)
from sellers.models import Seller

logger = logging.getLogger(__name__)

BULK_BATCH_SIZE = 500
SELLERS_PER_TRANSACTION = 500
MAX_STORED_EVENTS = 20
# An Exotel call still in progress or downloading holds back an app-only meeting this long.
PENDING_EXOTEL_WAIT = timedelta(hours=6)


# --- Mobile app call-log sync -------------------------------------------------------------


def calculate_call_status(*, call_type: str, duration: int) -> str:
    """The contract's ``calculate_call_status``."""
    if call_type == CallType.MISSED:
        return AppCallStatus.MISSED
    if call_type == CallType.REJECTED:
        return AppCallStatus.REJECTED
    if duration == 0 and call_type == CallType.INCOMING:
        return AppCallStatus.MISSED
    if duration == 0 and call_type == CallType.OUTGOING:
        return AppCallStatus.NOT_ANSWERED
    return AppCallStatus.PROCESSING


@dataclass
class AppCallSyncResult:
    results: list[dict] = field(default_factory=list)
    created: int = 0
    duplicate: int = 0
    rejected: int = 0


def _item_reason(errors) -> str:
    if isinstance(errors, dict):
        key, value = next(iter(errors.items()))
        reason = _item_reason(value)
        return reason if key == "non_field_errors" else f"{key}: {reason}"
    if isinstance(errors, list) and errors:
        return _item_reason(errors[0])
    return str(errors)


def app_calls_sync(*, seller: Seller, items: list) -> AppCallSyncResult:
    """Store a batch of the app's call-log items for ``seller``: all of it or nothing.

    Every item is validated first; any invalid item rejects the batch (400, each bad item with
    its index and reason). A re-sent ``appCallId`` is a no-op. Valid batches are written with
    bulk queries in one transaction and reconciliation is queued once it commits.
    """
    agency = seller.agency
    context = {"seller": seller, "agency": agency}
    # One validator for the batch: building a serializer per item costs more than validating it.
    validator = AppCallItemSerializer(context=context)
    rows: list[tuple[int, dict]] = []
    rejected: list[dict] = []
    for index, item in enumerate(items):
        app_call_id = item.get("appCallId") if isinstance(item, dict) else None
        if not isinstance(item, dict):
            rejected.append(
                {
                    "index": index,
                    "appCallId": None,
                    "status": "rejected",
                    "reason": "each item must be an object",
                }
            )
            continue
        try:
            rows.append((index, validator.run_validation(item)))
        except ValidationError as exc:
            rejected.append(
                {
                    "index": index,
                    "appCallId": None if app_call_id is None else str(app_call_id),
                    "status": "rejected",
                    "reason": _item_reason(exc.detail),
                }
            )
    if rejected:
        raise ApplicationError(
            f"{len(rejected)} of {len(items)} call records are invalid; nothing was saved",
            code="invalid_call_records",
            extra={"created": 0, "duplicate": 0, "rejected": len(rejected), "results": rejected},
        )

    result = AppCallSyncResult()
    with transaction.atomic():
        # Serialises this seller's syncs and reconciliations, so a retry racing itself is safe.
        Seller.objects.select_for_update().filter(pk=seller.pk).values_list("pk").first()
        ids = {data["app_call_id"] for _, data in rows}
        existing = set(
            MobileAppCall.objects.filter(seller=seller, app_call_id__in=ids).values_list(
                "app_call_id", flat=True
            )
        )
        new_calls: list[MobileAppCall] = []
        for index, data in rows:
            app_call_id = data["app_call_id"]
            if app_call_id in existing:
                result.duplicate += 1
                result.results.append(
                    {"index": index, "appCallId": app_call_id, "status": "duplicate"}
                )
                continue
            existing.add(app_call_id)
            new_calls.append(
                MobileAppCall(
                    seller=seller,
                    status=calculate_call_status(
                        call_type=data["call_type"], duration=data["duration"]
                    ),
                    **data,
                )
            )
            result.created += 1
            result.results.append({"index": index, "appCallId": app_call_id, "status": "created"})
        MobileAppCall.objects.bulk_create(new_calls, batch_size=BULK_BATCH_SIZE)
        calls_written.send(
            MobileAppCall, seller_times=[(seller.pk, c.start_time) for c in new_calls]
        )
        entities_changed_send(
            sender=MobileAppCall, kind=KIND_MOBILE_CALL, ids=[c.pk for c in new_calls]
        )
        if any(call.status == AppCallStatus.PROCESSING for call in new_calls):
            _enqueue_reconcile(seller_id=seller.pk)
    return result


def _enqueue_reconcile(*, seller_id: uuid.UUID) -> None:
    """Reconcile the seller's calls once this commits; if the broker is down, the periodic
    reconciliation (beat) picks the unreconciled rows up instead."""
    from calls.tasks import reconcile_calls  # late: tasks import services

    task_send_on_commit(reconcile_calls, str(seller_id))


# --- Exotel webhook -------------------------------------------------------------------------

EXOTEL_STATUS_MAP = {
    "completed": ExotelStatus.COMPLETED,
    "complete": ExotelStatus.COMPLETED,
    "answered": ExotelStatus.IN_PROGRESS,
    "in-progress": ExotelStatus.IN_PROGRESS,
    "in_progress": ExotelStatus.IN_PROGRESS,
    "inprogress": ExotelStatus.IN_PROGRESS,
    "ringing": ExotelStatus.IN_PROGRESS,
    "queued": ExotelStatus.IN_PROGRESS,
    "initiated": ExotelStatus.IN_PROGRESS,
    "busy": ExotelStatus.BUSY,
    "no-answer": ExotelStatus.NO_ANSWER,
    "no_answer": ExotelStatus.NO_ANSWER,
    "noanswer": ExotelStatus.NO_ANSWER,
    "not-answered": ExotelStatus.NO_ANSWER,
    "call-attempt": ExotelStatus.NO_ANSWER,
    "failed": ExotelStatus.FAILED,
    "incomplete": ExotelStatus.FAILED,
    "canceled": ExotelStatus.CANCELED,
    "cancelled": ExotelStatus.CANCELED,
    "client-hangup": ExotelStatus.CANCELED,
}
TERMINAL_STATUSES = set(ExotelStatus.values) - {ExotelStatus.IN_PROGRESS}


def exotel_status_map(params: dict) -> str:
    """One of ``ExotelStatus``, or "" when the event says nothing about the call's state.

    Passthru's DialCallStatus wins over its CallStatus / CallType; the Connect callback's
    ``Status`` is used as is, and when it is missing the legs decide (any leg not completed).
    """
    for key in ("DialCallStatus", "Status", "CallStatus", "CallType"):
        value = str(params.get(key) or "").strip().lower()
        if value in EXOTEL_STATUS_MAP:
            return EXOTEL_STATUS_MAP[value]
    legs = [
        EXOTEL_STATUS_MAP.get(str(leg.get("Status", "")).strip().lower(), "")
        for leg in params.get("Legs") or []
        if isinstance(leg, dict)
    ]
    legs = [status for status in legs if status]
    if legs:
        not_completed = [status for status in legs if status != ExotelStatus.COMPLETED]
        return not_completed[0] if not_completed else ExotelStatus.COMPLETED
    if str(params.get("EventType", "")).strip().lower() == "answered":
        return ExotelStatus.IN_PROGRESS
    return ""


def exotel_time_parse(value, *, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """Exotel's ``YYYY-MM-DD HH:MM:SS`` in the agency's timezone (ISO and RFC 2822 accepted too).

    Anything at the Unix epoch (Passthru's ``1970-01-01 05:30:00``) means "unknown".
    """
    text = str(value or "").strip().strip('"')
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if not within_date_bounds(parsed) or parsed <= datetime(1970, 1, 2, tzinfo=UTC):
        return None
    return parsed


def _seconds(value) -> int | None:
    text = str(value if value is not None else "").strip().strip('"')
    try:
        seconds = int(float(text))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _number(value, *, region: str) -> str:
    """E.164 when valid, else the trimmed text (kept for ops), else ""."""
    text = str(value or "").strip().strip('"')
    if not text:
        return ""
    try:
        return phone_parse(text, region=region)
    except InvalidPhoneNumber:
        return text[:20]


def _exotel_numbers(agency: Agency) -> set[str]:
    numbers = (
        agency.settings.get("exotel_numbers") or [] if isinstance(agency.settings, dict) else []
    )
    return {_number(n, region=agency.default_phone_region) for n in numbers} - {""}


def agency_agent_numbers(*, agency_ids: Iterable) -> dict[uuid.UUID, set[str]]:
    """Per agency, the numbers that are never a buyer: its ExoPhones and its sellers' phones."""
    agency_ids = list(agency_ids)
    numbers: dict[uuid.UUID, set[str]] = {pk: set() for pk in agency_ids}
    for agency in Agency.objects.filter(pk__in=agency_ids).only(
        "pk", "settings", "default_phone_region"
    ):
        numbers[agency.pk] |= _exotel_numbers(agency)
    for agency_id, phone in Seller.objects.filter(agency_id__in=agency_ids).values_list(
        "agency_id", "phone"
    ):
        if phone:
            numbers[agency_id].add(phone)
    return numbers


def exotel_parties(
    *,
    agency: Agency,
    from_number: str,
    to_number: str,
    dial_whom: str,
    sellers_by_phone: dict[str, Seller],
    agent_numbers: set[str] = frozenset(),
) -> tuple[Seller | None, str]:
    """The seller and buyer of an Exotel call.

    Outgoing (seller dialled through Exotel): the seller is ``CallFrom``, the buyer is
    ``DialWhomNumber`` (Passthru) or ``To`` (Connect). Incoming (buyer rang the ExoPhone): the
    seller is ``DialWhomNumber``, the buyer is ``CallFrom``. The agency's ExoPhones (its
    ``settings["exotel_numbers"]``) and any seller's phone (``agent_numbers``) are never taken
    for the buyer.
    """
    exophones = _exotel_numbers(agency) | set(agent_numbers)
    seller = sellers_by_phone.get(from_number)
    if seller is not None:
        others = [dial_whom, to_number]
    else:
        seller = sellers_by_phone.get(dial_whom) or sellers_by_phone.get(to_number)
        others = [from_number]
    if seller is None:
        return None, ""
    for number in others:
        if number.startswith("+") and number != seller.phone and number not in exophones:
            return seller, number
    return seller, ""


def _exophones_of_call(params: dict, *, region: str) -> set[str]:
    """The ExoPhone a call went through, when the event names it.

    Passthru's ``CallTo`` is the flow's ExoPhone (the other party is ``DialWhomNumber``); Call
    Details rows name it as ``PhoneNumberSid``.
    """
    numbers = {_number(params.get("PhoneNumberSid"), region=region)}
    if params.get("DialWhomNumber"):
        numbers.add(_number(params.get("CallTo"), region=region))
    return {n for n in numbers if n.startswith("+")}


def exotel_is_agent_leg(
    *, seller: Seller | None, buyer: str, numbers: Iterable[str], agent_numbers: set[str]
) -> bool:
    """A row whose only other party is a seller or an ExoPhone: the seller's own leg."""
    if seller is None or buyer:
        return False
    others = {n for n in numbers if n.startswith("+")} - {seller.phone}
    return bool(others) and others <= agent_numbers


@dataclass(frozen=True)
class ExotelIngestResult:
    call: ExotelCall
    created: bool
    seller_known: bool


def exotel_agency_for_key(*, key: str) -> Agency:
    """The agency whose webhook secret is ``key``, compared in constant time; else 403."""
    supplied = (key or "").encode()
    found = None
    for agency in Agency.objects.only(
        "pk", "exotel_webhook_secret", "timezone", "default_phone_region", "settings"
    ):
        # Compare against every agency (no early exit) so timing says nothing about the key.
        if hmac.compare_digest(agency.exotel_webhook_secret.encode(), supplied) and supplied:
            found = agency
    if found is None:
        raise ForbiddenError("Invalid webhook key", code="invalid_webhook_key")
    return found


def exotel_call_ingest(*, key: str, params: dict) -> ExotelIngestResult:
    """Store or update the ``ExotelCall`` for ``params["CallSid"]`` from one webhook event.

    Idempotent by CallSid: the first event creates the row (a concurrent duplicate's INSERT
    fails in a savepoint and falls back to updating it), later events fill in what they add.
    Nothing is downloaded here: the recording is fetched by a task once this commits.
    """
    agency = exotel_agency_for_key(key=key)  # 403 before the parameters are looked at
    return exotel_call_ingest_for_agency(agency=agency, params=params)


def exotel_call_ingest_for_agency(*, agency: Agency, params: dict) -> ExotelIngestResult:
    """``exotel_call_ingest`` once the agency is known (the webhook, the Call Details fallback)."""
    data = ExotelWebhookInputSerializer(data=params)
    data.is_valid(raise_exception=True)
    params = {**params, **data.validated_data}
    region = agency.default_phone_region
    tz = agency.tzinfo
    call_sid = str(params["CallSid"]).strip()

    from_number = _number(params.get("CallFrom") or params.get("From"), region=region)
    to_number = _number(params.get("CallTo") or params.get("To"), region=region)
    dial_whom = _number(params.get("DialWhomNumber"), region=region)
    status = exotel_status_map(params)
    start = exotel_time_parse(params.get("StartTime"), tz=tz) or exotel_time_parse(
        params.get("DateCreated") or params.get("Created"), tz=tz
    )
    end = exotel_time_parse(params.get("EndTime"), tz=tz)
    duration = _seconds(
        params.get("DialCallDuration")
        or params.get("ConversationDuration")
        or params.get("Duration")
    )
    recording_url = url_without_credentials(str(params.get("RecordingUrl") or "").strip())
    direction = str(params.get("Direction") or "").strip()[:32]

    candidates = {n for n in (from_number, to_number, dial_whom) if n.startswith("+")}
    agency_sellers = list(Seller.objects.filter(agency=agency, phone__in=candidates))
    sellers_by_phone = {s.phone: s for s in agency_sellers if s.is_active}
    agent_numbers = (
        _exotel_numbers(agency)
        | {s.phone for s in agency_sellers}
        | _exophones_of_call(params, region=region)
    )
    seller, buyer_number = exotel_parties(
        agency=agency,
        from_number=from_number,
        to_number=to_number,
        dial_whom=dial_whom,
        sellers_by_phone=sellers_by_phone,
        agent_numbers=agent_numbers,
    )
    agent_leg = exotel_is_agent_leg(
        seller=seller,
        buyer=buyer_number,
        numbers=(from_number, to_number, dial_whom),
        agent_numbers=agent_numbers,
    )

    # Looked up within the agency only: another agency's CallSid is a new call here.
    agency_calls = ExotelCall.objects.select_for_update().filter(agency=agency)
    with transaction.atomic():
        call = agency_calls.filter(call_sid=call_sid).first()
        created = False
        if call is None:
            try:
                with transaction.atomic():
                    call = ExotelCall.objects.create(call_sid=call_sid, agency=agency)
                    created = True
            except IntegrityError:
                call = agency_calls.get(call_sid=call_sid)

        call.from_number = from_number or call.from_number
        call.to_number = to_number or call.to_number
        call.direction = direction or call.direction
        # A late "in-progress" event never reopens a call Exotel has already ended.
        if status and not (status == ExotelStatus.IN_PROGRESS and call.status in TERMINAL_STATUSES):
            call.status = status
        call.start_time = start or call.start_time
        call.duration = duration if duration is not None else call.duration
        if end is not None:
            call.end_time = end
        elif call.end_time is None and call.start_time and call.duration is not None:
            call.end_time = call.start_time + timedelta(seconds=call.duration)
        if call.seller_id is None and seller is not None:
            call.seller = seller
        call.buyer_number = call.buyer_number or buyer_number
        call.agent_leg = call.agent_leg or agent_leg
        download = False
        if recording_url and recording_url != call.recording_url:
            call.recording_url = recording_url
            if call.recording_status != RecordingStatus.STORED:
                call.recording_status = RecordingStatus.PENDING
                download = True
        elif call.recording_url and call.recording_status == RecordingStatus.PENDING:
            download = True  # a re-sent webhook for a recording still waiting: send it again
        events = list((call.raw_payload or {}).get("events", []))
        events.append({"received_at": timezone.now().isoformat(), "params": params})
        call.raw_payload = {"events": events[-MAX_STORED_EVENTS:]}
        call.save()

        if call.agent_leg:
            pass  # the seller's own leg: nothing to download or reconcile
        elif download:
            exotel_recording_enqueue(exotel_call_id=call.pk)
        elif call.seller_id is not None:
            _enqueue_reconcile(seller_id=call.seller_id)
    return ExotelIngestResult(call=call, created=created, seller_known=call.seller_id is not None)


# --- Exotel Call Details fallback (lost webhooks) -------------------------------------------

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


def _lookup_groups(calls: list[MobileAppCall], agents: set[str]):
    """App calls grouped by the ``From`` Exotel shows them under (at most five numbers a group)
    and by day.

    Outgoing calls (and calls the phone logged from an ExoPhone: Exotel ringing the seller
    first) are ``From`` the seller; incoming calls are ``From`` the buyer.
    """
    by_number: dict[str, list[MobileAppCall]] = defaultdict(list)
    for call in calls:
        buyer = _real_buyer(call.buyer_number, agents)
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
    grace = timedelta(minutes=settings.CALL_RECONCILE_GRACE_MINUTES)
    retry = timedelta(minutes=settings.EXOTEL_CALL_DETAILS_RETRY_MINUTES)
    calls = list(
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
    by_agency: dict[uuid.UUID, list[MobileAppCall]] = defaultdict(list)
    for call in calls:
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
        caller = _number(params.get("From"), region=agency.default_phone_region)
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
            exotel_call_ingest_for_agency(agency=agency, params=params)
        except (ValidationError, ApplicationError) as exc:
            logger.warning("Call Details row %s not ingested: %s", params["CallSid"][:64], exc)
            continue
        ingested += 1
    return ingested


# --- Recordings -----------------------------------------------------------------------------


def exotel_recording_enqueue(*, exotel_call_id: uuid.UUID | str) -> None:
    """Send the recording's download once this commits, and stamp the row when it was sent.

    The row is the queue's source of truth (``recording_status=pending``): if the broker is down
    the request still succeeds, and ``exotel_recordings_sweep`` sends the download later.
    """
    from calls.tasks import download_exotel_recording  # late: tasks import services

    call_id = str(exotel_call_id)
    task_send_on_commit(
        download_exotel_recording,
        call_id,
        on_sent=lambda: exotel_recordings_mark_queued(exotel_call_ids=[call_id]),
    )


def exotel_recordings_mark_queued(
    *, exotel_call_ids: Iterable[uuid.UUID | str], at: datetime | None = None
) -> None:
    """Record that these downloads were sent to the broker (or, for a retry, when it is due)."""
    ExotelCall.objects.filter(pk__in=list(exotel_call_ids)).update(
        recording_queued_at=at or timezone.now()
    )


def exotel_recordings_unsent(*, now: datetime | None = None):
    """Pending downloads the queue does not hold: never sent (broker down) past a short grace,
    or sent more than OUTBOX_RESEND_AFTER ago and still pending (the message was lost)."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.OUTBOX_UNSENT_GRACE)
    stale = now - timedelta(seconds=settings.OUTBOX_RESEND_AFTER)
    return ExotelCall.objects.filter(
        Q(recording_queued_at__isnull=True, updated_at__lt=grace)
        | Q(recording_queued_at__lt=stale),
        recording_status=RecordingStatus.PENDING,
    ).exclude(recording_url="")


def exotel_recordings_overdue(*, now: datetime | None = None):
    """Pending downloads older than HEALTH_OVERDUE_AFTER (counted from when the last was due)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.HEALTH_OVERDUE_AFTER)
    return ExotelCall.objects.filter(
        Q(recording_queued_at__lt=cutoff)
        | Q(recording_queued_at__isnull=True, updated_at__lt=cutoff),
        recording_status=RecordingStatus.PENDING,
    )


def exotel_recordings_sweep(*, now: datetime | None = None, limit: int = 1000) -> list[str]:
    """Beat: send the pending downloads the queue does not hold; returns the ids sent."""
    from calls.tasks import download_exotel_recording  # late: tasks import services

    ids = [str(pk) for pk in exotel_recordings_unsent(now=now).values_list("pk", flat=True)[:limit]]
    sent = [call_id for call_id in ids if task_send(download_exotel_recording, call_id)]
    if sent:
        exotel_recordings_mark_queued(exotel_call_ids=sent)
    if ids:
        logger.warning("Recording sweep: sent %d of %d pending downloads", len(sent), len(ids))
    return sent


def exotel_recording_download(*, exotel_call_id: uuid.UUID | str) -> ExotelCall | None:
    """Fetch, measure and store one Exotel recording; raises ``RecordingDownloadError``.

    Runs in a Celery task (which retries transient failures). The download happens outside any
    transaction; the row is then updated under a lock, and reconciliation is queued.
    """
    call = ExotelCall.objects.select_related("agency").filter(pk=exotel_call_id).first()
    if call is None or not call.recording_url or call.recording_status == RecordingStatus.STORED:
        return call
    from calls.exotel import exotel_credentials_for

    credentials = exotel_credentials_for(call.agency)
    fetcher = recording_fetcher(auth=credentials.auth if credentials else None)
    file, extension = fetcher.fetch(call.recording_url)
    with file:
        probe = audio_probe(file)
        if probe is None:  # the same bytes will never decode: fail once, clearly
            raise RecordingDownloadError(
                "Recording is not decodable audio (corrupt file or unsupported format)",
                transient=False,
            )
        duration, extension = probe.duration, probe.extension
        # Named from our ids only: nothing Exotel (or anyone) sends reaches a storage path.
        name = default_storage.save(
            f"recordings/exotel/{call.agency_id}/{call.pk}.{extension}", File(file)
        )

    with transaction.atomic():
        call = ExotelCall.objects.select_for_update().filter(pk=exotel_call_id).first()
        if call is None or call.recording_status == RecordingStatus.STORED:
            transaction.on_commit(lambda: default_storage.delete(name))
            return call
        call.recording.name = name
        call.recording_status = RecordingStatus.STORED
        call.recording_duration = duration
        if call.duration is None:
            call.duration = int(duration)
        if call.end_time is None and call.start_time is not None:
            call.end_time = call.start_time + timedelta(seconds=duration)
        call.save(
            update_fields=[
                "recording",
                "recording_status",
                "recording_duration",
                "duration",
                "end_time",
                "updated_at",
            ]
        )
        if call.meeting_id is not None:
            # Already part of a meeting (matched before its recording came): it gets it now.
            meetings_attach_recordings(recordings={call.meeting_id: name})
        elif call.seller_id is not None:
            _enqueue_reconcile(seller_id=call.seller_id)
    return call


def exotel_recording_mark_failed(*, exotel_call_id: uuid.UUID | str, reason: str) -> None:
    """Give up on a recording: the call can still become a meeting (its job fails clearly)."""
    with transaction.atomic():
        call = ExotelCall.objects.select_for_update().filter(pk=exotel_call_id).first()
        if call is None or call.recording_status == RecordingStatus.STORED:
            return
        call.recording_status = RecordingStatus.FAILED
        call.recording_error = reason[:255]
        call.save(update_fields=["recording_status", "recording_error", "updated_at"])
        logger.warning("Exotel recording for %s failed for good: %s", call.call_sid, reason)
        if call.seller_id is not None:
            _enqueue_reconcile(seller_id=call.seller_id)


# --- Reconciliation -------------------------------------------------------------------------


@dataclass(frozen=True)
class CallWindow:
    """The part of a call that matching looks at."""

    pk: uuid.UUID
    start: datetime
    end: datetime | None
    buyer: str


def match_call_windows(
    *, app_calls: list[CallWindow], exotel_calls: list[CallWindow], tolerance: timedelta
) -> list[tuple[CallWindow, CallWindow]]:
    """Pair one seller's app calls with Exotel calls: ``[(app, exotel), ...]``.

    A pair is a candidate when the starts differ by at most ``tolerance``, the ends too (when
    Exotel knows its end), and the buyer numbers agree when both sides know a real number. The
    closest candidates (smallest total difference) are taken first and no call is used twice.
    Sorting plus a bisect per Exotel call keeps it O(n log n) for non-overlapping calls.
    """
    apps = sorted(app_calls, key=lambda w: w.start)
    starts = [w.start for w in apps]
    candidates = []
    for exo in exotel_calls:
        low = bisect_left(starts, exo.start - tolerance)
        high = bisect_right(starts, exo.start + tolerance)
        for app in apps[low:high]:
            end_gap = timedelta(0)
            if exo.end is not None and app.end is not None:
                end_gap = abs(exo.end - app.end)
                if end_gap > tolerance:
                    continue
            if app.buyer.startswith("+") and exo.buyer.startswith("+") and app.buyer != exo.buyer:
                continue
            cost = abs(exo.start - app.start) + end_gap
            candidates.append((cost, exo.start, str(exo.pk), str(app.pk), app, exo))
    candidates.sort(key=lambda c: c[:4])
    used_apps: set[uuid.UUID] = set()
    used_exotel: set[uuid.UUID] = set()
    pairs = []
    for *_, app, exo in candidates:
        if app.pk in used_apps or exo.pk in used_exotel:
            continue
        used_apps.add(app.pk)
        used_exotel.add(exo.pk)
        pairs.append((app, exo))
    return pairs


def _app_window(call: MobileAppCall, agents: set[str] = frozenset()) -> CallWindow:
    # A call the phone logged with an ExoPhone or a seller (Exotel ringing the seller's own leg)
    # says nothing about the buyer: it matches on time alone.
    return CallWindow(
        call.pk, call.start_time, call.end_time, _real_buyer(call.buyer_number, agents)
    )


def _exotel_end(call: ExotelCall) -> datetime | None:
    if call.end_time is not None:
        return call.end_time
    seconds = call.duration if call.duration is not None else call.recording_duration
    return call.start_time + timedelta(seconds=seconds) if seconds is not None else None


def _exotel_window(call: ExotelCall) -> CallWindow:
    return CallWindow(call.pk, call.start_time, _exotel_end(call), call.buyer_number)


def _exotel_ready(call: ExotelCall) -> bool:
    """Exotel has finished with the call and its recording is settled (stored, none or failed)."""
    return (
        call.status in (ExotelStatus.COMPLETED, "")
        and call.recording_status != RecordingStatus.PENDING
    )


APP_DIRECTIONS = {
    CallType.INCOMING: "incoming",
    CallType.OUTGOING: "outgoing",
    CallType.MISSED: "incoming",
    CallType.REJECTED: "incoming",
}


def _exotel_direction(direction: str) -> str:
    direction = direction.lower()
    if "inbound" in direction or "incoming" in direction:
        return "incoming"
    if "outbound" in direction or "outgoing" in direction:
        return "outgoing"
    return ""


@dataclass
class ReconcileResult:
    sellers: int = 0
    matched: int = 0
    app_only: int = 0
    exotel_only: int = 0
    late_recordings: int = 0
    late_app_calls: int = 0
    skipped: int = 0
    sellers_resolved: int = 0

    @property
    def meetings(self) -> int:
        return self.matched + self.app_only + self.exotel_only


def _pending_seller_ids(*, seller_ids: Iterable | None, since: datetime | None) -> list[uuid.UUID]:
    apps = MobileAppCall.objects.filter(reconciled_at__isnull=True, status=AppCallStatus.PROCESSING)
    exotel = ExotelCall.objects.filter(
        reconciled_at__isnull=True, seller__isnull=False, start_time__isnull=False, agent_leg=False
    ).exclude(status__in=TERMINAL_STATUSES - {ExotelStatus.COMPLETED})
    if seller_ids is not None:
        apps = apps.filter(seller_id__in=seller_ids)
        exotel = exotel.filter(seller_id__in=seller_ids)
    if since is not None:
        apps = apps.filter(start_time__gte=since)
        exotel = exotel.filter(start_time__gte=since)
    found = set(apps.values_list("seller_id", flat=True).distinct())
    found |= set(exotel.values_list("seller_id", flat=True).distinct())
    return sorted(found, key=str)


def exotel_calls_resolve_sellers(*, since: datetime | None = None) -> int:
    """Attach sellers to Exotel calls that arrived before the seller's phone was registered."""
    calls = list(
        ExotelCall.objects.filter(seller__isnull=True, reconciled_at__isnull=True)
        .filter(Q(start_time__gte=since) if since else Q())
        .select_related("agency")
        .defer("raw_payload")
    )
    if not calls:
        return 0
    dial_whom = dict(
        ExotelCall.objects.filter(pk__in=[c.pk for c in calls]).values_list("pk", "raw_payload")
    )
    phones = set()
    for call in calls:
        phones |= {call.from_number, call.to_number}
        dial_whom[call.pk] = _last_param(dial_whom[call.pk], "DialWhomNumber", call.agency)
        phones.add(dial_whom[call.pk])
    sellers: dict[tuple[uuid.UUID, str], Seller] = {
        (s.agency_id, s.phone): s
        for s in Seller.objects.filter(
            agency_id__in={c.agency_id for c in calls},
            phone__in={p for p in phones if p.startswith("+")},
            is_active=True,
        )
    }
    agent_numbers = agency_agent_numbers(agency_ids={c.agency_id for c in calls})
    resolved = []
    for call in calls:
        by_phone = {
            phone: s for (agency_id, phone), s in sellers.items() if agency_id == call.agency_id
        }
        seller, buyer = exotel_parties(
            agency=call.agency,
            from_number=call.from_number,
            to_number=call.to_number,
            dial_whom=dial_whom[call.pk],
            sellers_by_phone=by_phone,
            agent_numbers=agent_numbers[call.agency_id],
        )
        if seller is not None:
            call.seller = seller
            call.buyer_number = call.buyer_number or buyer
            call.agent_leg = call.agent_leg or exotel_is_agent_leg(
                seller=seller,
                buyer=call.buyer_number,
                numbers=(call.from_number, call.to_number, dial_whom[call.pk]),
                agent_numbers=agent_numbers[call.agency_id],
            )
            call.updated_at = timezone.now()
            resolved.append(call)
    ExotelCall.objects.bulk_update(
        resolved, ["seller", "buyer_number", "agent_leg", "updated_at"], batch_size=BULK_BATCH_SIZE
    )
    return len(resolved)


def _last_param(raw_payload: dict | None, key: str, agency: Agency) -> str:
    for event in reversed((raw_payload or {}).get("events", [])):
        value = (event.get("params") or {}).get(key)
        if value:
            return _number(value, region=agency.default_phone_region)
    return ""


@dataclass
class _Outcome:
    """What one transaction of reconciliation decided, before it is written."""

    specs: list[CallMeetingSpec] = field(default_factory=list)
    # For each spec, the app call and/or Exotel call it came from.
    sources: list[tuple[MobileAppCall | None, ExotelCall | None]] = field(default_factory=list)
    # An Exotel call joining the app-only meeting its app call already made (late Exotel).
    attach: list[tuple[MobileAppCall, ExotelCall]] = field(default_factory=list)
    # An app call joining the Exotel-only meeting its Exotel call already made (late app call).
    join: list[tuple[MobileAppCall, ExotelCall]] = field(default_factory=list)
    # Exotel rows found to be a seller's own leg (their buyer is a seller or an ExoPhone).
    agent_legs: list[ExotelCall] = field(default_factory=list)


def calls_reconcile(
    *,
    seller_ids: Iterable | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    force_ids: Iterable = (),
    progress: Callable[[int, int], None] | None = None,
) -> ReconcileResult:
    """Match Exotel calls to the same seller's app calls and turn calls into meetings.

    - A match (see ``match_call_windows``) becomes one meeting and one job, with the Exotel
      recording; both rows are kept and linked (``meeting``, ``reconciled_at``).
    - An answered app call still unmatched ``CALL_RECONCILE_GRACE_MINUTES`` after it ended
      becomes a meeting without a recording (its job fails with "No recording").
    - A recorded Exotel call still unmatched after the grace period becomes a meeting too, or,
      when the app call already became a recording-less meeting, gives that meeting its recording.
    - ``force_ids``: app or Exotel call ids that skip the grace period (the admin action).

    Sellers are processed in chunks, each in one transaction holding their rows' locks; all
    reads and writes are bulk queries, so the query count grows with chunks, not with calls.
    """
    now = now or timezone.now()
    force = {uuid.UUID(str(pk)) for pk in force_ids}
    result = ReconcileResult()
    if not dry_run:
        result.sellers_resolved = exotel_calls_resolve_sellers(since=since)
    pending = _pending_seller_ids(seller_ids=seller_ids, since=since)
    result.sellers = len(pending)
    done = 0
    for start in range(0, len(pending), SELLERS_PER_TRANSACTION):
        chunk = pending[start : start + SELLERS_PER_TRANSACTION]
        with transaction.atomic():
            _reconcile_chunk(
                seller_ids=chunk,
                since=since,
                now=now,
                dry_run=dry_run,
                force=force,
                result=result,
            )
        done += len(chunk)
        if progress:
            progress(done, len(pending))
    return result


def _reconcile_chunk(
    *,
    seller_ids: list[uuid.UUID],
    since: datetime | None,
    now: datetime,
    dry_run: bool,
    force: set[uuid.UUID],
    result: ReconcileResult,
) -> None:
    tolerance = timedelta(seconds=settings.CALL_MATCH_TOLERANCE_SECONDS)
    cutoff = now - timedelta(minutes=settings.CALL_RECONCILE_GRACE_MINUTES)
    sellers_qs = Seller.objects.select_related("agency").filter(pk__in=seller_ids).order_by("pk")
    if not dry_run:
        sellers_qs = sellers_qs.select_for_update(of=("self",))
    sellers = {s.pk: s for s in sellers_qs}
    agent_numbers = agency_agent_numbers(agency_ids={s.agency_id for s in sellers.values()})

    apps_qs = MobileAppCall.objects.filter(
        seller_id__in=seller_ids, reconciled_at__isnull=True, status=AppCallStatus.PROCESSING
    )
    exotel_qs = (
        ExotelCall.objects.filter(
            seller_id__in=seller_ids,
            reconciled_at__isnull=True,
            start_time__isnull=False,
            agent_leg=False,
        )
        .exclude(status__in=TERMINAL_STATUSES - {ExotelStatus.COMPLETED})
        .defer("raw_payload")
    )
    if since is not None:
        apps_qs = apps_qs.filter(start_time__gte=since)
        exotel_qs = exotel_qs.filter(start_time__gte=since)
    apps_by_seller: dict[uuid.UUID, dict[uuid.UUID, MobileAppCall]] = defaultdict(dict)
    for call in apps_qs:
        apps_by_seller[call.seller_id][call.pk] = call
    exotel_by_seller: dict[uuid.UUID, dict[uuid.UUID, ExotelCall]] = defaultdict(dict)
    outcome = _Outcome()
    for call in exotel_qs:
        if call.buyer_number in agent_numbers[sellers[call.seller_id].agency_id]:
            outcome.agent_legs.append(call)  # e.g. the seller's phone was registered later
            continue
        exotel_by_seller[call.seller_id][call.pk] = call

    leftover_apps: dict[uuid.UUID, dict[uuid.UUID, MobileAppCall]] = {}
    leftover_exotel: dict[uuid.UUID, dict[uuid.UUID, ExotelCall]] = {}
    held: set[uuid.UUID] = set()
    for seller_id, seller in sellers.items():
        agents = agent_numbers[seller.agency_id]
        apps = apps_by_seller.get(seller_id, {})
        exotel = exotel_by_seller.get(seller_id, {})
        ready = {pk: c for pk, c in exotel.items() if _exotel_ready(c)}
        waiting = [
            c
            for c in exotel.values()
            if not _exotel_ready(c) and c.start_time > now - PENDING_EXOTEL_WAIT
        ]
        pairs = match_call_windows(
            app_calls=[_app_window(c, agents) for c in apps.values()],
            exotel_calls=[_exotel_window(c) for c in ready.values()],
            tolerance=tolerance,
        )
        for app_window, exo_window in pairs:
            app, exo = apps.pop(app_window.pk), ready.pop(exo_window.pk)
            recording = exo.recording.name if exo.recording_status == RecordingStatus.STORED else ""
            _plan_meeting(outcome, result, seller, app, exo, recording, "matched", agents)

        # An app call that may still match a call Exotel has not finished with waits for it.
        held |= {
            app.pk
            for app, _ in match_call_windows(
                app_calls=[_app_window(c, agents) for c in apps.values()],
                exotel_calls=[_exotel_window(c) for c in waiting],
                tolerance=tolerance,
            )
        }
        leftover_apps[seller_id] = apps
        leftover_exotel[seller_id] = ready

    # Late arrivals first join the meeting the other side already made, whatever the grace.
    _plan_late_app_calls(outcome, result, sellers, leftover_apps, tolerance, agent_numbers)
    _plan_late_exotel_calls(outcome, result, sellers, leftover_exotel, tolerance, agent_numbers)

    for seller_id, seller in sellers.items():
        agents = agent_numbers[seller.agency_id]
        for app in leftover_apps[seller_id].values():
            if app.pk not in held and (app.end_time < cutoff or app.pk in force):
                _plan_meeting(outcome, result, seller, app, None, "", "app_only", agents)
        for exo in leftover_exotel[seller_id].values():
            if exo.recording_status == RecordingStatus.STORED and (
                (_exotel_end(exo) or exo.start_time) < cutoff or exo.pk in force
            ):
                _plan_meeting(
                    outcome, result, seller, None, exo, exo.recording.name, "exotel_only", agents
                )

    if dry_run:
        return
    _write_outcome(outcome, now)


def _real_buyer(number: str, agents: set[str]) -> str:
    return number if number.startswith("+") and number not in agents else ""


def _plan_meeting(
    outcome: _Outcome,
    result: ReconcileResult,
    seller: Seller,
    app: MobileAppCall | None,
    exo: ExotelCall | None,
    recording: str,
    kind: str,
    agents: set[str],
) -> None:
    buyer = ""
    if app is not None:
        buyer = _real_buyer(app.buyer_number, agents)
    if not buyer and exo is not None:
        buyer = _real_buyer(exo.buyer_number, agents)
    if not buyer:
        # No real buyer on either side (unknown, or a seller's / ExoPhone's number: an agent
        # leg): never a buyer or a meeting; left for ops to look at.
        result.skipped += 1
        return
    if app is not None:
        direction = APP_DIRECTIONS.get(app.call_type, "")
        start, end = app.start_time, app.end_time
    else:
        direction = _exotel_direction(exo.direction)
        start, end = exo.start_time, _exotel_end(exo)
    outcome.specs.append(
        CallMeetingSpec(
            seller=seller,
            buyer=Buyer(agency_id=seller.agency_id, phone=buyer),  # resolved in bulk later
            direction=direction,
            start_time=start,
            end_time=end,
            recording_name=recording,
        )
    )
    outcome.sources.append((app, exo))
    setattr(result, kind, getattr(result, kind) + 1)


def _window_bounds(calls, tolerance: timedelta) -> tuple[datetime, datetime]:
    starts = [c.start_time for c in calls]
    return min(starts) - tolerance, max(starts) + tolerance


def _plan_late_app_calls(
    outcome: _Outcome,
    result: ReconcileResult,
    sellers: dict[uuid.UUID, Seller],
    leftover: dict[uuid.UUID, dict[uuid.UUID, MobileAppCall]],
    tolerance: timedelta,
    agent_numbers: dict[uuid.UUID, set[str]],
) -> None:
    """An app call synced after its Exotel call became an Exotel-only meeting joins it."""
    calls = [c for apps in leftover.values() for c in apps.values()]
    if not calls:
        return
    low, high = _window_bounds(calls, tolerance)
    alone = ExotelCall.objects.filter(
        seller_id__in=[pk for pk, apps in leftover.items() if apps],
        meeting__isnull=False,
        mobile_call__isnull=True,
        agent_leg=False,
        start_time__gte=low,
        start_time__lte=high,
    ).defer("raw_payload")
    alone_by_seller: dict[uuid.UUID, dict[uuid.UUID, ExotelCall]] = defaultdict(dict)
    for call in alone:
        alone_by_seller[call.seller_id][call.pk] = call
    for seller_id, exotel in alone_by_seller.items():
        apps = leftover[seller_id]
        agents = agent_numbers[sellers[seller_id].agency_id]
        pairs = match_call_windows(
            app_calls=[_app_window(c, agents) for c in apps.values()],
            exotel_calls=[_exotel_window(c) for c in exotel.values()],
            tolerance=tolerance,
        )
        for app_window, exo_window in pairs:
            outcome.join.append((apps.pop(app_window.pk), exotel[exo_window.pk]))
            result.late_app_calls += 1


def _plan_late_exotel_calls(
    outcome: _Outcome,
    result: ReconcileResult,
    sellers: dict[uuid.UUID, Seller],
    leftover: dict[uuid.UUID, dict[uuid.UUID, ExotelCall]],
    tolerance: timedelta,
    agent_numbers: dict[uuid.UUID, set[str]],
) -> None:
    """An Exotel call that came after its app call became an app-only meeting joins it.

    Its recording, when stored, goes to that meeting and reruns the meeting's job.
    """
    calls = [c for exotel in leftover.values() for c in exotel.values()]
    if not calls:
        return
    low, high = _window_bounds(calls, tolerance)
    earlier = MobileAppCall.objects.filter(
        seller_id__in=[pk for pk, exotel in leftover.items() if exotel],
        status=AppCallStatus.PROCESSING,
        meeting__isnull=False,
        exotel_call__isnull=True,
        start_time__gte=low,
        start_time__lte=high,
    )
    earlier_by_seller: dict[uuid.UUID, dict[uuid.UUID, MobileAppCall]] = defaultdict(dict)
    for call in earlier:
        earlier_by_seller[call.seller_id][call.pk] = call
    for seller_id, apps in earlier_by_seller.items():
        exotel = leftover[seller_id]
        agents = agent_numbers[sellers[seller_id].agency_id]
        pairs = match_call_windows(
            app_calls=[_app_window(c, agents) for c in apps.values()],
            exotel_calls=[_exotel_window(c) for c in exotel.values()],
            tolerance=tolerance,
        )
        for app_window, exo_window in pairs:
            outcome.attach.append((apps[app_window.pk], exotel.pop(exo_window.pk)))
            result.late_recordings += 1


def _write_outcome(outcome: _Outcome, now: datetime) -> None:
    buyers = buyers_find_or_create_bulk(
        agency_phones={(spec.seller.agency_id, spec.buyer.phone) for spec in outcome.specs}
    )
    specs = [
        CallMeetingSpec(
            seller=spec.seller,
            buyer=buyers[(spec.seller.agency_id, spec.buyer.phone)],
            direction=spec.direction,
            start_time=spec.start_time,
            end_time=spec.end_time,
            recording_name=spec.recording_name,
        )
        for spec in outcome.specs
    ]
    meetings = meetings_create_for_calls(specs=specs)

    # The buyers' last contacts moved forward with the meetings (meetings_create_for_calls).
    app_links, exotel_links = [], []
    for meeting, (app, exo) in zip(meetings, outcome.sources, strict=True):
        if app is not None:
            app.meeting = meeting
            app_links.append(app)
        if exo is not None:
            exo.meeting = meeting
            exo.mobile_call = app
            exotel_links.append(exo)

    if outcome.attach:
        meetings_attach_recordings(
            recordings={
                app.meeting_id: exo.recording.name
                for app, exo in outcome.attach
                if exo.recording_status == RecordingStatus.STORED
            }
        )
        for app, exo in outcome.attach:
            exo.meeting_id = app.meeting_id
            exo.mobile_call = app
            exotel_links.append(exo)
    if outcome.join:
        meetings_fill_from_app_calls(
            directions={
                exo.meeting_id: APP_DIRECTIONS.get(app.call_type, "") for app, exo in outcome.join
            }
        )
        joined = []
        for app, exo in outcome.join:
            app.meeting_id = exo.meeting_id
            app_links.append(app)
            if not exo.buyer_number.startswith("+") and app.buyer_number.startswith("+"):
                exo.buyer_number = app.buyer_number
            exo.mobile_call = app
            joined.append(exo)
        # Already reconciled: only the app call and the buyer number it knows are new.
        bulk_update_rows(
            ExotelCall,
            {exo.pk: (exo.mobile_call_id, exo.buyer_number) for exo in joined},
            ["mobile_call", "buyer_number"],
            common={"updated_at": now},
        )
    bulk_update_rows(
        MobileAppCall,
        {app.pk: (app.meeting_id,) for app in app_links},
        ["meeting"],
        common={"reconciled_at": now, "updated_at": now},
    )
    calls_written.send(
        MobileAppCall, seller_times=[(app.seller_id, app.start_time) for app in app_links]
    )
    # A reconciled app call is searched as its meeting: drop its own documents.
    entities_changed_send(
        sender=MobileAppCall, kind=KIND_MOBILE_CALL, ids=[app.pk for app in app_links]
    )
    bulk_update_rows(
        ExotelCall,
        {exo.pk: (exo.meeting_id, exo.mobile_call_id) for exo in exotel_links},
        ["meeting", "mobile_call"],
        common={"reconciled_at": now, "updated_at": now},
    )
    if outcome.agent_legs:
        ExotelCall.objects.filter(pk__in=[c.pk for c in outcome.agent_legs]).update(
            agent_leg=True, updated_at=now
        )


# --- Cleanup --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanupResult:
    app_calls: int
    exotel_calls: int


def calls_cleanup_unmatched(*, older_than: datetime, dry_run: bool) -> CleanupResult:
    """Delete calls that never became meetings and are older than ``older_than``.

    That is answered app calls that can never be reconciled (no real buyer number; any other
    answered call becomes a meeting once the grace period is over) and Exotel
    calls of any status (with their stored recordings). Missed, rejected and unanswered app
    calls are the call log itself (call history and analytics read them) and are kept.
    """
    apps = MobileAppCall.objects.filter(
        reconciled_at__isnull=True,
        meeting__isnull=True,
        status=AppCallStatus.PROCESSING,
        start_time__lt=older_than,
    ).exclude(buyer_number__startswith="+")
    exotel = ExotelCall.objects.filter(
        reconciled_at__isnull=True, meeting__isnull=True, created_at__lt=older_than
    )
    result = CleanupResult(app_calls=apps.count(), exotel_calls=exotel.count())
    if dry_run:
        return result
    with transaction.atomic():
        names = [n for n in exotel.values_list("recording", flat=True) if n]
        exotel.delete()
        apps.delete()
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
    return result
