"""Deterministic analytics answers: questions about numbers are counted, never guessed.

``intent_detect`` recognises a fixed set of questions by pattern (count calls, calls per seller or
product, answered and missed rates, average duration, top sellers, top products, a time series,
count buyers); ``search.windows.date_window_parse`` reads the period in the agency's timezone;
``analytics_answer`` counts with the ORM within the caller's access rules. The question is never
turned into SQL.

What is counted (contract §4.3's call history): a call is a meeting, or an app call that was
never reconciled into one. A meeting is answered when it lasted more than 0 s; an unreconciled
app call is answered when its status is ``Processing``, missed when ``Missed`` or ``Rejected``.
"""

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek

from agencies.deleted import live_buyer_q, live_number_q
from calls.models import AppCallStatus, MobileAppCall
from chirpworks.durations import duration_format
from meetings.models import Meeting
from products.models import Product
from search.windows import DateWindow, month_start
from sellers.models import Role, Seller
from sellers.selectors import seller_visible_ids

COUNT_CALLS = "count_calls"
CALLS_PER_SELLER = "calls_per_seller"
CALLS_PER_PRODUCT = "calls_per_product"
ANSWERED_RATE = "answered_rate"
MISSED_RATE = "missed_rate"
AVG_DURATION = "avg_duration"
TOP_SELLERS = "top_sellers"
TOP_PRODUCTS = "top_products"
TIMESERIES_CALLS = "timeseries_calls"
COUNT_BUYERS = "count_buyers"

_CALLS = r"(?:calls?|meetings?|conversations?)"
_SELLERS = r"(?:sellers?|reps?|agents?|members?|salespe(?:rson|ople)|users?|people)"
# Checked in order: the first pattern that matches names the intent.
INTENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        TIMESERIES_CALLS,
        re.compile(
            rf"\b(?:{_CALLS}\b.*\b(?:per|each|every|by) (?:day|date|week|month)"
            rf"|(?:daily|weekly|monthly) {_CALLS}|{_CALLS}.*\b(?:trend|over time|time series)"
            rf"|(?:trend|time series) of {_CALLS})"
        ),
    ),
    (
        TOP_SELLERS,
        re.compile(
            rf"\b(?:top|best|leading) (?:\d+ )?{_SELLERS}|\bwho (?:made|had|did) the most {_CALLS}"
            rf"|\bwhich {_SELLERS} (?:made|had|did) the most"
        ),
    ),
    (
        TOP_PRODUCTS,
        re.compile(
            r"\b(?:top|most (?:discussed|mentioned|popular)|popular) (?:\d+ )?products?"
            r"|\bwhich products? (?:were|was|are|is|got) (?:\w+ )?(?:discussed|mentioned)"
            r" (?:the )?most"
        ),
    ),
    (
        CALLS_PER_SELLER,
        re.compile(
            rf"\b{_CALLS} (?:per|by|for each|of each|for every) {_SELLERS}"
            rf"|\b(?:per|each) {_SELLERS}\b.*{_CALLS}|\bbreakdown by {_SELLERS}"
        ),
    ),
    (
        CALLS_PER_PRODUCT,
        re.compile(rf"\b{_CALLS} (?:per|by|for each|of each) products?|\bper product\b"),
    ),
    (
        ANSWERED_RATE,
        re.compile(
            rf"\b(?:answer(?:ed)?|pick[- ]?up|connect(?:ion|ed)?) (?:rate|ratio|percentage)"
            rf"|\b(?:%|percent(?:age)?) (?:of {_CALLS} )?(?:were )?answered"
            rf"|\bhow many {_CALLS}? ?(?:were |got |did )?(?:\w+ )?answered"
        ),
    ),
    (
        MISSED_RATE,
        re.compile(
            rf"\bmiss(?:ed)? (?:call )?(?:rate|ratio|percentage)|\bmissed {_CALLS}"
            rf"|\b(?:%|percent(?:age)?) (?:of {_CALLS} )?(?:were )?missed"
            rf"|\bhow many {_CALLS}? ?(?:were |did |got )?(?:\w+ )?missed"
        ),
    ),
    (
        AVG_DURATION,
        re.compile(
            rf"\b(?:average|avg|mean|typical) (?:{_CALLS} )?(?:duration|length|time)"
            rf"|\bhow long (?:\w+ ){{0,3}}{_CALLS}"
            rf"|\b(?:average|avg|mean) (?:\w+ )?{_CALLS}? ?(?:duration|length)"
        ),
    ),
    (COUNT_BUYERS, re.compile(r"\bhow many (?:\w+ )?(?:buyers|customers|clients|leads)\b")),
    (
        COUNT_CALLS,
        re.compile(
            rf"\bhow many (?:\w+ )?{_CALLS}|\bnumber of {_CALLS}|\bcount (?:of |the )?{_CALLS}"
            rf"|\btotal (?:number of )?{_CALLS}|\b{_CALLS} count"
        ),
    ),
]


def intent_detect(question: str) -> str | None:
    text = " ".join(question.lower().split())
    for intent, pattern in INTENT_PATTERNS:
        if pattern.search(text):
            return intent
    return None


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class AnalyticsScope:
    agency_id: uuid.UUID
    seller_ids: frozenset[uuid.UUID] | None  # None: the whole agency
    subject: str  # how the answer names whose calls were counted ("You", "Your team", ...)


def analytics_scope_for(
    *, actor: Seller, question: str, seller_id: uuid.UUID | None = None
) -> AnalyticsScope:
    """Whose calls a question counts, never beyond what ``actor`` may see.

    An explicit ``seller_id`` wins; then a visible seller named in the question; then "I/my/me"
    (the actor alone, unless "team" is said); else everything the actor may see.
    """
    visible = seller_visible_ids(actor=actor)
    text = " ".join(question.lower().split())
    if seller_id is not None:
        name = Seller.objects.filter(pk=seller_id).values_list("name", flat=True).first()
        subject = "You" if seller_id == actor.pk else (name or "The seller")
        return AnalyticsScope(actor.agency_id, frozenset({seller_id}), subject)
    candidates = Seller.objects.filter(agency_id=actor.agency_id).exclude(pk=actor.pk)
    if visible is not None:
        candidates = candidates.filter(pk__in=visible)
    for pk, name in candidates.order_by("-name").values_list("pk", "name"):
        full = name.lower().strip()
        first = full.split()[0] if full else ""
        if full and (
            re.search(rf"\b{re.escape(full)}\b", text)
            or (len(first) > 2 and re.search(rf"\b{re.escape(first)}\b", text))
        ):
            return AnalyticsScope(actor.agency_id, frozenset({pk}), name)
    mine = re.search(r"\b(?:i|my|me|mine)\b", text) and "team" not in text
    if mine or visible == {actor.pk}:
        return AnalyticsScope(actor.agency_id, frozenset({actor.pk}), "You")
    if visible is None:
        return AnalyticsScope(actor.agency_id, None, "The agency")
    return AnalyticsScope(actor.agency_id, frozenset(visible), "Your team")


def _meetings(scope: AnalyticsScope, window: DateWindow):
    meetings = Meeting.objects.filter(
        agency_id=scope.agency_id, start_time__gte=window.start, start_time__lt=window.end
    )
    if scope.seller_ids is not None:
        meetings = meetings.filter(seller_id__in=scope.seller_ids)
    return meetings.filter(live_buyer_q(agency_id=scope.agency_id))


def _app_calls(scope: AnalyticsScope, window: DateWindow):
    calls = MobileAppCall.objects.filter(
        seller__agency_id=scope.agency_id,
        meeting__isnull=True,
        start_time__gte=window.start,
        start_time__lt=window.end,
    )
    if scope.seller_ids is not None:
        calls = calls.filter(seller_id__in=scope.seller_ids)
    return calls.filter(live_number_q(agency_id=scope.agency_id))


_MEETING_LENGTH = ExpressionWrapper(F("end_time") - F("start_time"), output_field=DurationField())
_MEETING_ANSWERED = Q(end_time__gt=F("start_time"))
_MISSED = (AppCallStatus.MISSED, AppCallStatus.REJECTED)


def call_components(scope: AnalyticsScope, window: DateWindow) -> dict[str, Any]:
    """Totals in two queries: meetings and unreconciled app calls."""
    meetings = _meetings(scope, window).aggregate(
        total=Count("id"),
        answered=Count("id", filter=_MEETING_ANSWERED),
        talk=Sum(_MEETING_LENGTH, filter=_MEETING_ANSWERED),
    )
    calls = _app_calls(scope, window).aggregate(
        total=Count("id"),
        answered=Count("id", filter=Q(status=AppCallStatus.PROCESSING)),
        missed=Count("id", filter=Q(status__in=_MISSED)),
        talk=Sum("duration", filter=Q(status=AppCallStatus.PROCESSING)),
    )
    total = meetings["total"] + calls["total"]
    answered = meetings["answered"] + calls["answered"]
    talk = (meetings["talk"] or timedelta()).total_seconds() + (calls["talk"] or 0)
    return {
        "total_calls": total,
        "answered_calls": answered,
        "missed_calls": calls["missed"],
        "not_answered_calls": total - answered - calls["missed"],
        "total_talk_seconds": int(talk),
    }


def _seller_counts(scope: AnalyticsScope, window: DateWindow) -> list[dict[str, Any]]:
    counts: Counter[uuid.UUID] = Counter()
    for source in (_meetings(scope, window), _app_calls(scope, window)):
        for seller_id, count in source.values_list("seller_id").annotate(n=Count("id")):
            counts[seller_id] += count
    sellers = Seller.objects.filter(agency_id=scope.agency_id, role__in=[Role.USER, Role.MANAGER])
    if scope.seller_ids is not None:
        sellers = Seller.objects.filter(pk__in=scope.seller_ids)
    names = dict(sellers.values_list("pk", "name"))
    names.update(Seller.objects.filter(pk__in=counts.keys()).values_list("pk", "name"))
    items = [
        {"seller_id": str(pk), "seller_name": name, "calls": counts.get(pk, 0)}
        for pk, name in names.items()
    ]
    return sorted(items, key=lambda item: (-item["calls"], item["seller_name"]))


def _product_counts(scope: AnalyticsScope, window: DateWindow) -> list[dict[str, Any]]:
    """Meetings that discussed each product (a product counts once per meeting)."""
    catalogue = list(Product.objects.filter(agency_id=scope.agency_id).values_list("pk", "name"))
    by_id = {str(pk): name for pk, name in catalogue}
    by_name = {name.lower(): name for _, name in catalogue}
    counts: Counter[str] = Counter()
    for detected in _meetings(scope, window).values_list("detected_products", flat=True):
        seen = set()
        for item in detected or []:  # one shape: the analysis schema's DetectedProduct
            pid, raw = item.get("product_id"), item["product_name"]
            name = by_id.get(str(pid)) if pid else None
            name = name or by_name.get(str(raw).lower()) or str(raw).strip()
            if name and name.lower() not in seen:
                seen.add(name.lower())
                counts[name] += 1
    items = [{"product_name": name, "calls": count} for name, count in counts.items()]
    return sorted(items, key=lambda item: (-item["calls"], item["product_name"]))


def _series(scope: AnalyticsScope, window: DateWindow, *, now: datetime, tz: ZoneInfo, unit: str):
    trunc = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}[unit]
    counts: Counter[date] = Counter()
    for source in (_meetings(scope, window), _app_calls(scope, window)):
        rows = (
            source.annotate(bucket=trunc("start_time", tzinfo=tz))
            .values_list("bucket")
            .annotate(n=Count("id"))
        )
        for bucket, count in rows:
            day = bucket.astimezone(tz).date() if isinstance(bucket, datetime) else bucket
            counts[day] += count
    # Buckets from the window's start to the bucket holding "now" (no future days).
    last = min(window.end - timedelta(microseconds=1), now).astimezone(tz).date()
    day = window.start.astimezone(tz).date()
    series = []
    while day <= last:
        if unit == "day":
            key, step = day, day + timedelta(days=1)
        elif unit == "week":
            key = day - timedelta(days=day.weekday())
            step = key + timedelta(days=7)
        else:
            key = day.replace(day=1)
            step = month_start(key, -1)
        series.append({"period": key.isoformat(), "calls": counts.get(key, 0)})
        day = step
    return series


def _mentioned_product(question: str, agency_id: uuid.UUID) -> str | None:
    text = question.lower()
    names = Product.objects.filter(agency_id=agency_id).values_list("name", flat=True)
    for name in sorted(names, key=len, reverse=True):
        if name and re.search(rf"\b{re.escape(name.lower())}\b", text):
            return name
    return None


def _top_n(question: str, default: int = 5) -> int:
    match = re.search(r"\btop (\d{1,2})\b", question.lower())
    return max(1, int(match[1])) if match else default


def analytics_answer(
    *,
    intent: str,
    question: str,
    scope: AnalyticsScope,
    window: DateWindow,
    now: datetime,
    tz: ZoneInfo,
) -> dict[str, Any]:
    """``{answer, sources: [{type: "analytics", metric, components?, items?, series?,
    date_range}]}``, the contract's analytics answer."""
    source: dict[str, Any] = {"type": "analytics", "metric": intent}
    who, period = scope.subject, window.label
    if intent in (COUNT_CALLS, ANSWERED_RATE, MISSED_RATE, AVG_DURATION):
        product = _mentioned_product(question, scope.agency_id) if intent == COUNT_CALLS else None
        if product:
            counts = {
                item["product_name"]: item["calls"] for item in _product_counts(scope, window)
            }
            count = counts.get(product, 0)
            source["metric"] = "seller_product_calls"
            source["components"] = {"product_name": product, "calls": count}
            answer = f"{who} discussed {product} in {count} call{'s' * (count != 1)} {period}."
        else:
            components = call_components(scope, window)
            total, answered = components["total_calls"], components["answered_calls"]
            missed = components["missed_calls"]
            components["answered_rate"] = _rate(answered, total)
            components["missed_rate"] = _rate(missed, total)
            average = components["total_talk_seconds"] / answered if answered else 0
            components["average_duration_seconds"] = round(average, 1)
            # Rounded to the second, not truncated: 59.6 s reads "1m 0s", as it always has.
            components["average_duration"] = duration_format(round(average))
            source["components"] = components
            if intent == COUNT_CALLS:
                answer = (
                    f"{who} had {total} call{'s' * (total != 1)} {period}"
                    f" ({answered} answered, {missed} missed, "
                    f"{components['not_answered_calls']} not answered)."
                )
            elif intent == ANSWERED_RATE:
                answer = (
                    f"{components['answered_rate']}% of calls were answered {period} "
                    f"({answered} of {total})."
                )
            elif intent == MISSED_RATE:
                answer = (
                    f"{components['missed_rate']}% of calls were missed {period} "
                    f"({missed} of {total})."
                )
            else:
                answer = (
                    f"The average answered call lasted {components['average_duration']} {period}"
                    f" ({answered} answered call{'s' * (answered != 1)})."
                )
    elif intent in (CALLS_PER_SELLER, TOP_SELLERS):
        items = _seller_counts(scope, window)
        if intent == TOP_SELLERS:
            items = [item for item in items if item["calls"]][: _top_n(question)]
        source["items"] = items
        listed = ", ".join(f"{i['seller_name']} ({i['calls']})" for i in items) or "nobody"
        label = "Top sellers by calls" if intent == TOP_SELLERS else "Calls per seller"
        answer = f"{label} {period}: {listed}."
    elif intent in (CALLS_PER_PRODUCT, TOP_PRODUCTS):
        items = _product_counts(scope, window)
        if intent == TOP_PRODUCTS:
            items = items[: _top_n(question)]
        source["items"] = items
        listed = ", ".join(f"{i['product_name']} ({i['calls']})" for i in items)
        label = "Most discussed products" if intent == TOP_PRODUCTS else "Calls per product"
        answer = f"{label} {period}: {listed or 'no products were discussed'}."
    elif intent == TIMESERIES_CALLS:
        text = question.lower()
        days = (window.end - window.start).days
        named = re.search(r"\b(?:per|by|each|every) (day|week|month)\b", text)
        adverb = re.search(r"\b(daily|weekly|monthly)\b", text)
        if named:
            unit = named[1]
        elif adverb:
            unit = {"daily": "day", "weekly": "week", "monthly": "month"}[adverb[1]]
        else:
            unit = "day" if days <= 62 else "week" if days <= 366 else "month"
        series = _series(scope, window, now=now, tz=tz, unit=unit)
        source["series"] = series
        total = sum(point["calls"] for point in series)
        busiest = max(series, key=lambda point: point["calls"], default=None)
        answer = f"{who} had {total} call{'s' * (total != 1)} {period}, by {unit}"
        if busiest and busiest["calls"]:
            answer += f"; the busiest {unit} was {busiest['period']} with {busiest['calls']}"
        answer += "."
    elif intent == COUNT_BUYERS:
        count = _meetings(scope, window).values("buyer_id").distinct().count()
        source["components"] = {"buyers": count}
        answer = f"{who} spoke with {count} buyer{'s' * (count != 1)} {period}."
    else:
        raise ValueError(f"Unknown intent: {intent}")
    source["date_range"] = window.as_source(tz)
    return {"answer": answer, "sources": [source]}
