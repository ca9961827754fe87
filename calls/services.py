"""Writes on calls: the app's call-log sync, Exotel webhooks and recordings, cleanup.

One real call can reach ChirpWorks as an app call-log item, an Exotel webhook, or both, in either
order, minutes apart, retried and sometimes concurrently. Rows are idempotent by their natural
keys (``appCallId`` per seller, ``CallSid``), and every write that decides what a seller's calls
become (sync and reconciliation) runs under a lock on that seller's row, so two workers never
turn one call into two meetings. What arrived is announced through ``calls.signals``; turning
calls into meetings (reconciliation) is ``meetings.reconciliation``'s.
"""

import hmac
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from agencies.models import Agency
from calls.exotel_parsing import (
    TERMINAL_STATUSES,
    agency_agent_numbers,
    agency_exophones,
    exophones_of_call,
    exotel_is_agent_leg,
    exotel_parties,
    exotel_status_map,
    exotel_time_parse,
    number_parse,
    real_buyer,
    seconds_parse,
)
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
from calls.serializers import AppCallItemValidator, ExotelWebhookInputSerializer
from calls.signals import calls_need_reconciling, exotel_recording_stored
from chirpworks.bulk import bulk_insert
from chirpworks.exceptions import ApplicationError, ForbiddenError
from chirpworks.outages import task_send, task_send_on_commit
from chirpworks.signals import KIND_MOBILE_CALL, calls_written, entities_changed_send
from sellers.models import Seller

logger = logging.getLogger(__name__)

BULK_BATCH_SIZE = 500
MAX_STORED_EVENTS = 20


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
    # One validator for the batch: building a serializer per item costs more than validating it.
    validate = AppCallItemValidator(seller=seller, agency=agency)
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
            rows.append((index, validate(item)))
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
        bulk_insert(MobileAppCall, new_calls)  # no conflict: the seller lock is held
        calls_written.send(
            MobileAppCall, seller_times=[(seller.pk, c.start_time) for c in new_calls]
        )
        entities_changed_send(
            sender=MobileAppCall, kind=KIND_MOBILE_CALL, ids=[c.pk for c in new_calls]
        )
        if any(call.status == AppCallStatus.PROCESSING for call in new_calls):
            calls_need_reconciling.send(sender=MobileAppCall, seller_id=seller.pk)
    return result


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

    from_number = number_parse(params.get("CallFrom") or params.get("From"), region=region)
    to_number = number_parse(params.get("CallTo") or params.get("To"), region=region)
    dial_whom = number_parse(params.get("DialWhomNumber"), region=region)
    status = exotel_status_map(params)
    start = exotel_time_parse(params.get("StartTime"), tz=tz) or exotel_time_parse(
        params.get("DateCreated") or params.get("Created"), tz=tz
    )
    end = exotel_time_parse(params.get("EndTime"), tz=tz)
    duration = seconds_parse(
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
        agency_exophones(agency)
        | {s.phone for s in agency_sellers}
        | exophones_of_call(params, region=region)
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
            calls_need_reconciling.send(sender=ExotelCall, seller_id=call.seller_id)
    return ExotelIngestResult(call=call, created=created, seller_known=call.seller_id is not None)


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
            return number_parse(value, region=agency.default_phone_region)
    return ""


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
            exotel_call_ingest_for_agency(agency=agency, params=params)
        except (ValidationError, ApplicationError) as exc:
            logger.warning("Call Details row %s not ingested: %s", params["CallSid"][:64], exc)
            continue
        ingested += 1
    return ingested


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
        # Its meeting gets it, or reconciliation may now make one.
        exotel_recording_stored.send(sender=ExotelCall, call=call)
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
            calls_need_reconciling.send(sender=ExotelCall, seller_id=call.seller_id)


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
