"""Call history: meetings merged with the app calls not (yet) one of them, on the fast row path.

The long lists are read as tuples (``chirpworks.fastrows``) and built into the contract's rows
here, and only here; everything else reads through the ORM."""

import uuid
from datetime import datetime, timedelta, tzinfo
from operator import itemgetter
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.deleted import live_buyer_q, live_number_q
from agencies.models import Buyer, BuyerNote, BuyerPhone
from calls.models import AppCallStatus, MobileAppCall
from chirpworks.durations import duration_format
from chirpworks.fastrows import as_text, collector_paused, json_fragment, utc_datetime, uuid_text
from chirpworks.phones import phone_denorm
from chirpworks.timeframes import DateRange
from meetings.models import Job, JobStatus, Meeting, MeetingSource
from sellers.access_selectors import SellerScope, scope_requested
from sellers.models import Seller

# An app call this close to a meeting of the same seller and buyer is the same call.
CALL_DEDUP_WINDOW = timedelta(seconds=5)

# An answered app call still unmatched after this long has no recording coming with it.
PROCESSING_GRACE = timedelta(seconds=30)

# Ids, timestamps and JSON come as text (``chirpworks.fastrows``); rows are tuples. A long
# history costs several times its queries with the ORM's per-value conversion.
_MEETING_ROW_COLUMNS = (
    as_text("id"),
    "title",
    "source",
    as_text("start_time"),
    as_text("end_time"),
    "direction",
    as_text("summary"),
    "seller__name",
    "seller__email",
    "seller__phone",
    "buyer__phone",
    "buyer__name",
    "buyer__email",
    "job_status",
    "latest_note",
)

_APP_CALL_ROW_COLUMNS = (
    as_text("id"),
    "buyer_number",
    "seller_number",
    "call_type",
    "status",
    as_text("start_time"),
    as_text("end_time"),
    "duration",
    "seller__name",
    "seller__email",
    "known_buyer_name",
    "known_buyer_email",
)

# A meeting's analysis status by its job's (plain strings: an enum member compares slowly).
_ANALYSIS_STATUS = {
    JobStatus.INIT.value: "Processing",
    JobStatus.IN_PROGRESS.value: "Processing",
    JobStatus.COMPLETED.value: "Completed",
}


def _meeting_analysis_status(job_status: str | None) -> str:
    return _ANALYSIS_STATUS.get(job_status, "Not Recorded")


# A call history's sort key: ``(start, id)`` as the database wrote them. Timestamps written in
# the connection's time zone (UTC) sort as text in time order: fixed-width fields, and the end
# of a shorter fraction ("+" or nothing) sorts before any digit.
SortKey = tuple[str, str]


def _meeting_record(row: tuple, tz: tzinfo) -> tuple[SortKey, dict[str, Any]]:
    """``(sort key, record)`` of a ``values_list(*_MEETING_ROW_COLUMNS)`` row."""
    (
        pk,
        title,
        source,
        start_text,
        end_text,
        direction,
        summary,
        seller_name,
        seller_email,
        seller_phone,
        buyer_phone,
        buyer_name,
        buyer_email,
        job_status,
        latest_note,
    ) = row
    pk = uuid_text(pk)
    start, end = utc_datetime(start_text), utc_datetime(end_text)
    seconds = max(0, int((end - start).total_seconds())) if end else 0
    duration = duration_format(seconds)
    return (start_text, pk), {
        "id": pk,
        "title": title,
        "source": source,
        "start_time": start.astimezone(tz),
        "end_time": end.astimezone(tz) if end else None,
        "buyer_number": phone_denorm(buyer_phone),
        "buyer_name": buyer_name or None,
        "buyer_email": buyer_email or None,
        "seller_number": phone_denorm(seller_phone),
        "analysis_status": _meeting_analysis_status(job_status),
        "duration": duration,
        "call_notes": latest_note,
        "user_name": seller_name,
        "user_email": seller_email,
        "call_direction": direction or None,
        "call_type": "Not Answered" if duration == "0s" else "Answered",
        "app_call_type": None,
        "call_summary": json_fragment(summary),
    }


def _app_call_record(row: tuple, now: datetime, tz: tzinfo) -> tuple[SortKey, dict[str, Any]]:
    """``(sort key, record)`` of a ``values_list(*_APP_CALL_ROW_COLUMNS)`` row."""
    (
        pk,
        buyer_number,
        seller_number,
        app_call_type,
        status,
        start_text,
        end_text,
        seconds,
        seller_name,
        seller_email,
        buyer_name,
        buyer_email,
    ) = row
    start, end = utc_datetime(start_text), utc_datetime(end_text)
    number = phone_denorm(buyer_number)
    if status == AppCallStatus.MISSED:
        title, call_type, direction = f"Missed Call from {number}", "Missed", "incoming"
    elif status == AppCallStatus.REJECTED:
        title, call_type, direction = f"Rejected Call from {number}", "Rejected", "incoming"
    elif status == AppCallStatus.NOT_ANSWERED:
        title, call_type, direction = f"{number} did not answer", "Not Answered", "outgoing"
    else:
        title = f"Meeting between {buyer_name or number} and {seller_name}"
        call_type, direction = "Answered", app_call_type
    analysis_status = status
    if status == AppCallStatus.PROCESSING and now - start > PROCESSING_GRACE:
        analysis_status = "Not Recorded"
    answered = status == AppCallStatus.PROCESSING
    pk = uuid_text(pk)
    return (start_text, pk), {
        "id": pk,
        "title": title,
        "source": MeetingSource.PHONE.value,
        "start_time": start.astimezone(tz),
        "end_time": end.astimezone(tz) if end else None,
        "buyer_number": number,
        "buyer_name": buyer_name or None,
        "buyer_email": buyer_email or None,
        "seller_number": phone_denorm(seller_number),
        "analysis_status": analysis_status,
        "duration": duration_format(seconds if answered else 0),
        "call_notes": None,
        "user_name": seller_name,
        "user_email": seller_email,
        "call_direction": direction,
        "call_type": call_type,
        "app_call_type": app_call_type,
        "call_summary": None,
    }


def meeting_twin_exists(
    *, agency_id: uuid.UUID, start: datetime | None = None, end: datetime | None = None
) -> Q:
    """Whether the outer unlinked app call is a meeting too: its "twin" (one definition, shared by
    call history and analytics, so a call shows and counts once).

    Same seller, same buyer phone, start within ±``CALL_DEDUP_WINDOW``. Not limited to the date
    range asked for: a meeting at 23:59:58 and its app call at 00:00:01 are one call, whichever
    side of a range end each falls on. ``start`` / ``end`` are the app calls' range: a twin lies
    within it widened by the window, and saying so lets PostgreSQL read a range of the (buyer,
    start time) index rather than every meeting of the buyer.
    """
    near = Meeting.objects.filter(
        seller_id=OuterRef("seller_id"),
        start_time__range=(
            OuterRef("start_time") - CALL_DEDUP_WINDOW,
            OuterRef("start_time") + CALL_DEDUP_WINDOW,
        ),
    )
    if start is not None:
        near = near.filter(start_time__gte=start - CALL_DEDUP_WINDOW)
    if end is not None:
        near = near.filter(start_time__lte=end + CALL_DEDUP_WINDOW)
    # The agency narrows the phone lookup to the (agency, phone) index.
    own = near.filter(buyer__agency_id=agency_id, buyer__phone=OuterRef("buyer_number"))
    # A merged buyer's number is now an alternate of the buyer its meetings moved to.
    alternate = near.filter(
        buyer__alternate_phones__agency_id=agency_id,
        buyer__alternate_phones__phone=OuterRef("buyer_number"),
    )
    return Exists(own.order_by()) | Exists(alternate.order_by())


def _call_history_querysets(
    *,
    scope: SellerScope,
    start: datetime | None,
    end: datetime | None,
    buyer: Buyer | None,
) -> tuple[QuerySet[Meeting], QuerySet[MobileAppCall]]:
    """The meetings, and the app calls that are not (yet) one of them, of a call history.

    An app call linked to a meeting shows as that meeting; an unlinked one that is a meeting's
    twin (``meeting_twin_exists``) is the same call too and is left out, even when that meeting
    starts outside the range.
    """
    meetings = Meeting.objects.filter(scope.q())
    if start is not None:
        meetings = meetings.filter(start_time__gte=start)
    if end is not None:
        meetings = meetings.filter(start_time__lt=end)
    if buyer is not None:
        meetings = meetings.filter(buyer=buyer)
    # A deleted buyer's calls are hidden with it.
    meetings = meetings.filter(live_buyer_q(agency_id=scope.agency_id))
    app_calls = MobileAppCall.objects.filter(scope.q(), meeting__isnull=True)
    app_calls = app_calls.filter(live_number_q(agency_id=scope.agency_id))
    if start is not None:
        app_calls = app_calls.filter(start_time__gte=start)
    if end is not None:
        app_calls = app_calls.filter(start_time__lt=end)
    if buyer is not None:  # its own number and its alternates (a merged buyer's)
        app_calls = app_calls.filter(
            Q(buyer_number=buyer.phone)
            | Q(buyer_number__in=BuyerPhone.objects.filter(buyer=buyer).values("phone"))
        )
    twin = meeting_twin_exists(agency_id=scope.agency_id, start=start, end=end)
    return meetings.order_by(), app_calls.filter(~twin).order_by()


def _call_history_rows(
    meetings: QuerySet[Meeting], app_calls: QuerySet[MobileAppCall], agency_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The contract's rows of ``meetings`` and ``app_calls``, newest first: two queries."""
    # A per-row lookup on the job's unique index: a join made PostgreSQL hash every job.
    job = Job.objects.filter(meeting_id=OuterRef("pk")).order_by()  # unique: no sort needed
    job_status = Subquery(job.values("status")[:1])
    # The agency's buyer with the call's number: a lookup on the (agency, phone) unique index.
    known = Buyer.objects.filter(agency_id=agency_id, phone=OuterRef("buyer_number")).order_by()
    # An alternate number (a merged buyer's) names the buyer it now belongs to.
    alternate = BuyerPhone.objects.filter(
        agency_id=agency_id, phone=OuterRef("buyer_number")
    ).order_by()
    # The meeting's latest note: a lookup on the (meeting, created) index.
    note = BuyerNote.objects.filter(meeting_id=OuterRef("pk")).order_by("-created_at")
    meeting_rows = meetings.annotate(
        job_status=job_status, latest_note=Subquery(note.values("text")[:1])
    ).values_list(*_MEETING_ROW_COLUMNS)
    app_call_rows = app_calls.annotate(
        known_buyer_name=Coalesce(
            Subquery(alternate.values("buyer__name")[:1]), Subquery(known.values("name")[:1])
        ),
        known_buyer_email=Coalesce(
            Subquery(alternate.values("buyer__email")[:1]), Subquery(known.values("email")[:1])
        ),
    ).values_list(*_APP_CALL_ROW_COLUMNS)
    now = timezone.now()
    tz = timezone.get_current_timezone()
    with collector_paused():
        keyed = [_meeting_record(row, tz) for row in meeting_rows]
        keyed += [_app_call_record(row, now, tz) for row in app_call_rows]
        keyed.sort(key=itemgetter(0), reverse=True)  # newest first, then by id
        return [record for _, record in keyed]


def call_history_records(
    *,
    scope: SellerScope,
    start: datetime | None = None,
    end: datetime | None = None,
    buyer: Buyer | None = None,
) -> list[dict[str, Any]]:
    """Meetings merged with the app calls not (yet) turned into one, newest first: three queries."""
    meetings, app_calls = _call_history_querysets(scope=scope, start=start, end=end, buyer=buyer)
    return _call_history_rows(meetings, app_calls, scope.agency_id)


def call_history_page(
    *,
    scope: SellerScope,
    start: datetime | None = None,
    end: datetime | None = None,
    number: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of ``call_history_records`` and the total count, paged in the database.

    The count and the page's ids come from a UNION of both sources ordered as the full list
    (newest first, then id descending); only that page's rows are then read: five queries.
    """
    meetings, app_calls = _call_history_querysets(scope=scope, start=start, end=end, buyer=None)
    keys = meetings.annotate(app_call=Value(False)).values_list("start_time", "id", "app_call")
    keys = keys.union(
        app_calls.annotate(app_call=Value(True)).values_list("start_time", "id", "app_call"),
        all=True,
    )
    total = keys.count()
    offset = (number - 1) * limit
    page = list(keys.order_by("-start_time", "-id")[offset : offset + limit]) if total else []
    meeting_ids = [pk for _, pk, app_call in page if not app_call]
    app_call_ids = [pk for _, pk, app_call in page if app_call]
    records = _call_history_rows(
        meetings.filter(pk__in=meeting_ids) if meeting_ids else meetings.none(),
        MobileAppCall.objects.filter(pk__in=app_call_ids) if app_call_ids else app_calls.none(),
        scope.agency_id,
    )
    return records, total


def call_history_for(
    *, actor: Seller, team_member_ids: list[uuid.UUID] | None, date_range: DateRange
) -> list[dict[str, Any]]:
    """The caller's call history, or (managers, admins) that of the given team members."""
    scope = scope_requested(actor=actor, team_member_ids=team_member_ids)
    return call_history_records(scope=scope, start=date_range.start, end=date_range.end)


def call_history_page_for(
    *,
    actor: Seller,
    team_member_ids: list[uuid.UUID] | None,
    date_range: DateRange,
    number: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of ``call_history_for`` and its total count."""
    scope = scope_requested(actor=actor, team_member_ids=team_member_ids)
    return call_history_page(
        scope=scope, start=date_range.start, end=date_range.end, number=number, limit=limit
    )
