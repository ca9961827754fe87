import json
import uuid
from datetime import datetime, time, timedelta, tzinfo
from operator import itemgetter
from statistics import fmean
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from agencies.deleted import live_buyer_q, live_number_q
from agencies.models import Agency, Buyer, BuyerNote, BuyerPhone
from agencies.tracker_selectors import agency_keyword_trackers
from calls.models import AppCallStatus, MobileAppCall
from chirpworks.durations import duration_format
from chirpworks.exceptions import ForbiddenError, NotFoundError
from chirpworks.fastrows import (
    as_text,
    collector_paused,
    json_fragment,
    utc_datetime,
    uuid_text,
)
from chirpworks.phones import phone_denorm, phone_raw
from chirpworks.timeframes import DateRange
from meetings.insights import (
    meeting_objections,
    transcript_talk_metrics,
    transcript_tracker_hits,
)
from meetings.models import (
    PERFORMANCE_METRICS,
    CallPerformance,
    Job,
    JobStatus,
    Meeting,
    MeetingCorrection,
    MeetingSource,
)
from products.models import Product
from sellers.access_selectors import (
    SellerScope,
    scope_requested,
    scope_visible,
    seller_can_manage,
)
from sellers.models import Seller


def _metric_score(value: Any) -> float | None:
    if isinstance(value, dict) and isinstance(value.get("score"), int | float):
        return float(value["score"])
    return None


def performance_summary(*, seller: Seller, days: int = 7) -> dict[str, Any]:
    """Average performance of ``seller``'s calls over the last ``days`` calendar days (today
    included, in the agency's timezone), in one query."""
    tz = seller.agency.tzinfo if seller.agency else timezone.get_current_timezone()
    end = timezone.now()
    first_day = end.astimezone(tz).date() - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    rows = CallPerformance.objects.filter(
        meeting__seller=seller, meeting__start_time__gte=start, meeting__start_time__lte=end
    ).values_list(*PERFORMANCE_METRICS, "overall_score")

    scores: dict[str, list[float]] = {name: [] for name in PERFORMANCE_METRICS}
    overall: list[float] = []
    for row in rows:
        for name, value in zip(PERFORMANCE_METRICS, row, strict=False):
            score = _metric_score(value)
            if score is not None:
                scores[name].append(score)
        if row[-1] is not None:
            overall.append(row[-1])
    return {
        "calls_count": len(rows),
        "overall_score": round(fmean(overall), 2) if overall else None,
        "metrics": {name: round(fmean(v), 2) if v else None for name, v in scores.items()},
        "start_date": start.astimezone(tz).date(),
        "end_date": end.astimezone(tz).date(),
    }


# An app call this close to a meeting of the same seller and buyer is the same call.
CALL_DEDUP_WINDOW = timedelta(seconds=5)
# An answered app call still unmatched after this long has no recording coming with it.
PROCESSING_GRACE = timedelta(seconds=30)
ANALYSIS_FIELDS = (
    "product_details_analysis",
    "objection_handling_analysis",
    "overall_performance_summary",
)

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


def meeting_get_visible(*, actor: Seller, meeting_id: uuid.UUID) -> Meeting:
    """A meeting the caller may read, with its agency, job, performance and corrections (with
    who made them); else 404."""
    meeting = (
        Meeting.objects.filter(scope_visible(actor=actor).q(), agency_id=actor.agency_id)
        .select_related("agency", "job", "performance")
        .prefetch_related(
            Prefetch(
                "corrections",
                queryset=MeetingCorrection.objects.select_related("corrected_by").order_by(
                    "-created_at"
                ),
            )
        )
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise NotFoundError("Meeting not found or unauthorized", code="meeting_not_found")
    return meeting


def meeting_recording_disclosure(*, meeting: Meeting, agency: Agency) -> dict[str, Any]:
    """``{disclosed, required, missing}``: ``missing`` flags a call the agency requires it of."""
    required = agency.setting_enabled("recording_disclosure_required")
    disclosed = meeting.recording_disclosed
    return {
        "disclosed": disclosed,
        "required": required,
        "missing": required and disclosed is False,
    }


def meeting_corrections_payload(*, meeting: Meeting) -> list[dict[str, Any]]:
    """The latest correction of each corrected field: who and when (from the prefetch)."""
    latest: dict[str, MeetingCorrection] = {}
    for correction in meeting.corrections.all():  # newest first
        latest.setdefault(correction.field, correction)
    return [
        {
            "field": c.field,
            "corrected_by": c.corrected_by_id,
            "corrected_by_name": c.corrected_by.name if c.corrected_by else None,
            "corrected_at": c.created_at,
        }
        for c in latest.values()
    ]


def meeting_insights(*, meeting: Meeting) -> dict[str, Any]:
    """The call_data additions: analysis fields, talk metrics and tracker hits read off the
    stored transcript (the agency's trackers: one query), warnings and corrections."""
    trackers = agency_keyword_trackers(agency_id=meeting.agency_id)
    return {
        "deal_stage": meeting.deal_stage,
        "risks": meeting.risks or [],
        "objections": meeting_objections(meeting.risks, meeting.transcription),
        "qa_pairs": meeting.qa_pairs or [],
        "facts": meeting.facts or [],
        "talk_metrics": transcript_talk_metrics(meeting.transcription),
        "tracker_hits": transcript_tracker_hits(meeting.transcription, trackers),
        "warnings": meeting.warnings or [],
        "corrections": meeting_corrections_payload(meeting=meeting),
    }


def meeting_transcription_text(*, meeting: Meeting) -> str | None:
    """The transcript as the app parses it: a JSON string of the segment list (null if none)."""
    if not meeting.transcription:
        return None
    return json.dumps(meeting.transcription, ensure_ascii=False)


def _performance_missing() -> NotFoundError:
    return NotFoundError("No performance data found for this meeting", code="performance_not_found")


def _performance_of(meeting: Meeting) -> CallPerformance | None:
    try:
        return meeting.performance
    except CallPerformance.DoesNotExist:
        return None


def performance_payload(*, performance: CallPerformance) -> dict[str, Any]:
    """The contract's performance object: metrics present, analysis objects present."""
    return {
        "meeting_id": performance.meeting_id,
        "overall_score": performance.overall_score,
        "analyzed_at": performance.analyzed_at,
        "metrics": {
            name: value for name, value in performance.metrics().items() if value is not None
        },
        "analysis": {
            name: getattr(performance, name)
            for name in ANALYSIS_FIELDS
            if getattr(performance, name) is not None
        },
    }


def meeting_performance_payload(*, meeting: Meeting) -> dict[str, Any] | None:
    performance = _performance_of(meeting)
    return performance_payload(performance=performance) if performance else None


def performance_get_visible(*, actor: Seller, meeting_id: uuid.UUID) -> CallPerformance:
    performance = _performance_of(meeting_get_visible(actor=actor, meeting_id=meeting_id))
    if performance is None:
        raise _performance_missing()
    return performance


def performance_get_manageable(*, actor: Seller, meeting_id: uuid.UUID) -> CallPerformance:
    """A performance an admin (agency) or the seller's manager may delete; others get 403."""
    performance = (
        CallPerformance.objects.select_related("meeting")
        .filter(meeting_id=meeting_id, meeting__agency_id=actor.agency_id)
        .first()
    )
    if performance is None:
        if not Meeting.objects.filter(pk=meeting_id, agency_id=actor.agency_id).exists():
            raise NotFoundError("Meeting not found", code="meeting_not_found")
        raise _performance_missing()
    if not seller_can_manage(actor=actor, seller_id=performance.meeting.seller_id):
        raise ForbiddenError(
            "Only an admin or the seller's manager may delete performance data",
            code="not_allowed",
        )
    return performance


def meeting_feedback(*, actor: Seller, meeting_id: uuid.UUID) -> dict[str, Any]:
    """The performance reasons of a call: each metric's score and reason, and the summary."""
    performance = performance_get_visible(actor=actor, meeting_id=meeting_id)
    feedback = {}
    for name, value in performance.metrics().items():
        if isinstance(value, dict):
            feedback[name] = {"score": value.get("score"), "reason": value.get("reason")}
    return {
        "id": performance.meeting_id,
        "overall_score": performance.overall_score,
        "analyzed_at": performance.analyzed_at,
        "feedback": feedback,
        "overall_performance_summary": performance.overall_performance_summary,
    }


def _score_average(name: str) -> Avg:
    # Each metric is {"score": n, ...}; average the number in SQL.
    return Avg(Cast(KT(f"{name}__score"), FloatField()))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def performance_user_metrics(*, seller: Seller, date_range: DateRange) -> dict[str, Any]:
    """Daily averages of ``seller``'s call performance, and of the whole range: two queries."""
    rows = CallPerformance.objects.filter(
        meeting__seller=seller,
        meeting__start_time__gte=date_range.start,
        meeting__start_time__lt=date_range.end,
    )
    averages = {name: _score_average(name) for name in PERFORMANCE_METRICS}
    averages["overall_score"] = Avg("overall_score")
    daily = (
        rows.annotate(day=TruncDate("meeting__start_time", tzinfo=date_range.tz))
        .values("day")
        .annotate(calls_count=Count("id"), **averages)
        .order_by("day")
    )
    by_day = {row.pop("day"): row for row in daily}
    daily_metrics: dict[str, dict[str, Any] | None] = {}
    for day in date_range.dates():
        row = by_day.get(day)
        daily_metrics[day.isoformat()] = (
            None
            if row is None
            else {
                **{name: _rounded(row[name]) for name in (*PERFORMANCE_METRICS, "overall_score")},
                "calls_count": row["calls_count"],
            }
        )
    total = rows.aggregate(**averages)
    return {
        "daily_metrics": daily_metrics,
        "period_summary": {
            "total_calls": sum(row["calls_count"] for row in by_day.values()),
            "days_with_data": len(by_day),
            "days_in_range": date_range.days,
            "overall_averages": {name: _rounded(value) for name, value in total.items()},
        },
    }


def performance_user_calls(*, seller: Seller, date_range: DateRange):
    """Analysed calls of ``seller`` (job completed, performance stored), newest first."""
    return (
        CallPerformance.objects.filter(
            meeting__seller=seller,
            meeting__job__status=JobStatus.COMPLETED,
            meeting__start_time__gte=date_range.start,
            meeting__start_time__lt=date_range.end,
        )
        .select_related("meeting__buyer")
        .only(
            *PERFORMANCE_METRICS,
            *ANALYSIS_FIELDS,
            "overall_score",
            "analyzed_at",
            "meeting__title",
            "meeting__start_time",
            "meeting__end_time",
            "meeting__detected_products",
            "meeting__buyer__name",
            "meeting__buyer__phone",
        )
        .order_by("-meeting__start_time", "pk")
    )


def performance_call_row(*, performance: CallPerformance) -> dict[str, Any]:
    meeting = performance.meeting
    payload = performance_payload(performance=performance)
    return {
        "meeting_id": meeting.pk,
        "call_title": meeting.title,
        "buyer_name": meeting.buyer.name or None,
        "buyer_phone": phone_raw(meeting.buyer.phone),
        "call_start_time": meeting.start_time,
        "duration_minutes": round(meeting.duration_seconds / 60, 2),
        "detected_products": meeting.detected_products,
        "overall_score": performance.overall_score,
        "analyzed_at": performance.analyzed_at,
        "metrics": payload["metrics"],
        "analysis": payload["analysis"],
    }


# =================================================================================================
# Processing pipeline and worker endpoints (issue 4)
# =================================================================================================


def job_get(*, job_id: str) -> Job:
    """A job with its meeting, agency, seller and buyer, or 404."""
    job = (
        Job.objects.select_related("meeting__agency", "meeting__seller", "meeting__buyer")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise NotFoundError("Job not found")
    return job


def job_get_by_meeting(*, meeting_id: str) -> Job:
    job = Job.objects.select_related("meeting").filter(meeting_id=meeting_id).first()
    if job is None:
        raise NotFoundError("Job not found for this meeting")
    return job


def meeting_get_for_worker(*, meeting_id: str) -> Meeting:
    meeting = (
        Meeting.objects.select_related("agency", "seller", "buyer").filter(pk=meeting_id).first()
    )
    if meeting is None:
        raise NotFoundError("Meeting not found")
    return meeting


def job_audio_url(*, job: Job) -> str | None:
    """Where a worker can fetch the recording: the storage URL (signed on S3), else the location."""
    recording = job.meeting.recording
    if recording and recording.name:
        return recording.url
    return job.audio_location or None


def agency_catalogue(*, agency_id: str) -> list[dict[str, Any]]:
    return [
        {"id": str(p["id"]), **{k: v for k, v in p.items() if k != "id"}}
        for p in Product.objects.filter(agency_id=agency_id)
        .order_by("name")
        .values("id", "name", "description", "features")
    ]
