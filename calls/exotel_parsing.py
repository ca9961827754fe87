"""Reading Exotel's events: statuses, times, numbers, and which party is the seller or the buyer.

Pure functions (plus the agency and seller look-ups they need), shared by the webhook's ingest,
the Call Details fallback and reconciliation.
"""

import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from agencies.models import Agency
from calls.models import ExotelStatus
from chirpworks.phones import InvalidPhoneNumber, phone_parse
from chirpworks.timeframes import within_date_bounds
from sellers.models import Seller

CALL_SID_PATTERN = r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z"
# No phone call lasts a day; anything longer is a bad value (1e308, 2**63 would overflow the
# time arithmetic or the database's integer column).
MAX_CALL_SECONDS = 24 * 3600

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


def seconds_parse(value) -> int | None:
    text = str(value if value is not None else "").strip().strip('"')
    try:
        seconds = int(float(text))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def number_parse(value, *, region: str) -> str:
    """E.164 when valid, else the trimmed text (kept for ops), else ""."""
    text = str(value or "").strip().strip('"')
    if not text:
        return ""
    try:
        return phone_parse(text, region=region)
    except InvalidPhoneNumber:
        return text[:20]


def agency_exophones(agency: Agency) -> set[str]:
    numbers = (
        agency.settings.get("exotel_numbers") or [] if isinstance(agency.settings, dict) else []
    )
    return {number_parse(n, region=agency.default_phone_region) for n in numbers} - {""}


def agency_agent_numbers(*, agency_ids: Iterable) -> dict[uuid.UUID, set[str]]:
    """Per agency, the numbers that are never a buyer: its ExoPhones and its sellers' phones."""
    agency_ids = list(agency_ids)
    numbers: dict[uuid.UUID, set[str]] = {pk: set() for pk in agency_ids}
    for agency in Agency.objects.filter(pk__in=agency_ids).only(
        "pk", "settings", "default_phone_region"
    ):
        numbers[agency.pk] |= agency_exophones(agency)
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
    exophones = agency_exophones(agency) | set(agent_numbers)
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


def exophones_of_call(params: dict, *, region: str) -> set[str]:
    """The ExoPhone a call went through, when the event names it.

    Passthru's ``CallTo`` is the flow's ExoPhone (the other party is ``DialWhomNumber``); Call
    Details rows name it as ``PhoneNumberSid``.
    """
    numbers = {number_parse(params.get("PhoneNumberSid"), region=region)}
    if params.get("DialWhomNumber"):
        numbers.add(number_parse(params.get("CallTo"), region=region))
    return {n for n in numbers if n.startswith("+")}


def exotel_is_agent_leg(
    *, seller: Seller | None, buyer: str, numbers: Iterable[str], agent_numbers: set[str]
) -> bool:
    """A row whose only other party is a seller or an ExoPhone: the seller's own leg."""
    if seller is None or buyer:
        return False
    others = {n for n in numbers if n.startswith("+")} - {seller.phone}
    return bool(others) and others <= agent_numbers


def real_buyer(number: str, agents: set[str]) -> str:
    """``number`` when it is a real buyer's (E.164, not a seller's or an ExoPhone), else ""."""
    return number if number.startswith("+") and number not in agents else ""
