"""Writes of Exotel's calls: the status webhook's ingest, and sellers found for earlier calls.

One real call can reach ChirpWorks as an app call-log item, an Exotel webhook, or both, in either
order, minutes apart, retried and sometimes concurrently. ``ExotelCall`` rows are idempotent by
(agency, ``CallSid``); what arrived is announced through ``calls.signals``.
"""

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

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
    seconds_parse,
)
from calls.models import ExotelCall, ExotelStatus, RecordingStatus
from calls.recording_services import exotel_recording_enqueue
from calls.recordings import url_without_credentials
from calls.signals import calls_need_reconciling
from chirpworks.exceptions import ForbiddenError
from sellers.models import Seller

BULK_BATCH_SIZE = 500
MAX_STORED_EVENTS = 20


@dataclass(frozen=True)
class ExotelIngestResult:
    call: ExotelCall
    created: bool
    seller_known: bool


@dataclass(frozen=True)
class _ExotelEvent:
    """What one webhook event says about its call."""

    call_sid: str
    from_number: str
    to_number: str
    direction: str
    status: str
    start: datetime | None
    end: datetime | None
    duration: int | None
    recording_url: str
    seller: Seller | None
    buyer_number: str
    agent_leg: bool


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
    """``exotel_call_ingest_for_agency`` for the agency whose webhook key is ``key``; else 403."""
    agency = exotel_agency_for_key(key=key)
    return exotel_call_ingest_for_agency(agency=agency, params=params)


def exotel_call_ingest_for_agency(*, agency: Agency, params: dict) -> ExotelIngestResult:
    """Store or update the ``ExotelCall`` for ``params["CallSid"]`` from one webhook event.

    ``params`` are valid (the webhook's serializer or the Call Details row check passed them).
    Idempotent by CallSid: the first event creates the row (a concurrent duplicate's INSERT
    fails in a savepoint and falls back to updating it), later events fill in what they add.
    Nothing is downloaded here: the recording is fetched by a task once this commits.
    """
    event = _event_read(agency=agency, params=params)
    # Looked up within the agency only: another agency's CallSid is a new call here.
    agency_calls = ExotelCall.objects.select_for_update().filter(agency=agency)
    with transaction.atomic():
        call = agency_calls.filter(call_sid=event.call_sid).first()
        created = False
        if call is None:
            try:
                with transaction.atomic():
                    call = ExotelCall.objects.create(call_sid=event.call_sid, agency=agency)
                    created = True
            except IntegrityError:
                call = agency_calls.get(call_sid=event.call_sid)
        download = _call_apply(call, event)
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


def _event_read(*, agency: Agency, params: dict) -> _ExotelEvent:
    region = agency.default_phone_region
    tz = agency.tzinfo
    from_number = number_parse(params.get("CallFrom") or params.get("From"), region=region)
    to_number = number_parse(params.get("CallTo") or params.get("To"), region=region)
    dial_whom = number_parse(params.get("DialWhomNumber"), region=region)

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
    return _ExotelEvent(
        call_sid=str(params["CallSid"]).strip(),
        from_number=from_number,
        to_number=to_number,
        direction=str(params.get("Direction") or "").strip()[:32],
        status=exotel_status_map(params),
        start=exotel_time_parse(params.get("StartTime"), tz=tz)
        or exotel_time_parse(params.get("DateCreated") or params.get("Created"), tz=tz),
        end=exotel_time_parse(params.get("EndTime"), tz=tz),
        duration=seconds_parse(
            params.get("DialCallDuration")
            or params.get("ConversationDuration")
            or params.get("Duration")
        ),
        recording_url=url_without_credentials(str(params.get("RecordingUrl") or "").strip()),
        seller=seller,
        buyer_number=buyer_number,
        agent_leg=exotel_is_agent_leg(
            seller=seller,
            buyer=buyer_number,
            numbers=(from_number, to_number, dial_whom),
            agent_numbers=agent_numbers,
        ),
    )


def _call_apply(call: ExotelCall, event: _ExotelEvent) -> bool:
    """Fill in what ``event`` adds to ``call`` (unsaved); True when its recording is to be sent."""
    call.from_number = event.from_number or call.from_number
    call.to_number = event.to_number or call.to_number
    call.direction = event.direction or call.direction
    status = event.status
    # A late "in-progress" event never reopens a call Exotel has already ended.
    if status and not (status == ExotelStatus.IN_PROGRESS and call.status in TERMINAL_STATUSES):
        call.status = status
    call.start_time = event.start or call.start_time
    call.duration = event.duration if event.duration is not None else call.duration
    if event.end is not None:
        call.end_time = event.end
    elif call.end_time is None and call.start_time and call.duration is not None:
        call.end_time = call.start_time + timedelta(seconds=call.duration)
    if call.seller_id is None and event.seller is not None:
        call.seller = event.seller
    call.buyer_number = call.buyer_number or event.buyer_number
    call.agent_leg = call.agent_leg or event.agent_leg
    if event.recording_url and event.recording_url != call.recording_url:
        call.recording_url = event.recording_url
        if call.recording_status != RecordingStatus.STORED:
            call.recording_status = RecordingStatus.PENDING
            return True
        return False
    # A re-sent webhook for a recording still waiting: send it again.
    return bool(call.recording_url) and call.recording_status == RecordingStatus.PENDING


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
