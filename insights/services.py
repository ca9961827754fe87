"""Recompute and store buyers' call-next scores and deal warnings.

``buyer_insights_refresh`` reads a batch of buyers' meetings, pending actions and app calls in a
fixed number of bulk queries, applies ``insights.rules`` and rewrites their ``BuyerInsight`` and
``DealWarning`` rows. It is idempotent: refreshing twice, or concurrently, ends in the same rows.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.models import Action, ActionStatus, ActionType
from agencies.models import Agency, Buyer, BuyerPhone
from calls.models import AppCallStatus, CallType, MobileAppCall
from insights.config import insight_settings_for
from insights.facts import (
    NEGOTIATION,
    ActionFact,
    AppCallFact,
    BuyerFacts,
    MeetingFact,
    pricing_talked,
)
from insights.models import BuyerInsight, DealWarning
from insights.rules import call_next_reasons, deal_warnings, next_action_of
from meetings.models import Meeting

BATCH = 500


def _chunks(ids: Iterable[uuid.UUID], size: int) -> Iterator[list[uuid.UUID]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _stage(value: Any) -> tuple[str | None, tuple[str, ...]]:
    if isinstance(value, dict) and isinstance(value.get("deal_stage"), str):
        signals = value.get("stage_signals") or []
        return value["deal_stage"], tuple(str(s) for s in signals if s)
    return None, ()


def _sentiment(extras: Any) -> float | None:
    sentiment = (extras or {}).get("sentiment") if isinstance(extras, dict) else None
    overall = sentiment.get("overall") if isinstance(sentiment, dict) else None
    return float(overall) if isinstance(overall, int | float) else None


def _competitors(extras: Any) -> tuple[str, ...]:
    names = (extras or {}).get("competitors") if isinstance(extras, dict) else None
    if not isinstance(names, list):
        return ()
    return tuple(str(n.get("name") if isinstance(n, dict) else n) for n in names if n)


def buyer_facts_load(*, buyer_ids: list[uuid.UUID]) -> list[BuyerFacts]:
    """Everything the rules read about these buyers, in five queries whatever their number."""
    # A deleted (or merged-away) buyer has no insight: its rows go at this refresh.
    buyers = list(
        Buyer.objects.filter(pk__in=buyer_ids, deleted_at__isnull=True).values(
            "id",
            "agency_id",
            "phone",
            "last_contacted_at",
            "last_contacted_by_id",
            "created_by_id",
            "lifecycle",
        )
    )
    facts = {
        row["id"]: BuyerFacts(
            buyer_id=row["id"],
            agency_id=row["agency_id"],
            owner_id=row["last_contacted_by_id"],
            last_contacted_at=row["last_contacted_at"],
            lifecycle=row["lifecycle"],
        )
        for row in buyers
    }
    meetings = Meeting.objects.filter(buyer_id__in=facts).order_by("start_time", "id")
    for row in meetings.values(
        "id", "buyer_id", "seller_id", "start_time", "deal_stage", "risks", "analysis_extras"
    ):
        stage, signals = _stage(row["deal_stage"])
        risks = tuple(r for r in (row["risks"] or []) if isinstance(r, dict))
        facts[row["buyer_id"]].meetings.append(
            MeetingFact(
                id=row["id"],
                seller_id=row["seller_id"],
                start_time=row["start_time"],
                deal_stage=stage,
                stage_signals=signals,
                risks=risks,
                sentiment=_sentiment(row["analysis_extras"]),
                competitors=_competitors(row["analysis_extras"]),
            )
        )
    pending = Action.objects.filter(buyer_id__in=facts, status=ActionStatus.PENDING)
    for row in pending.values("id", "buyer_id", "meeting_id", "title", "due_date", "type"):
        facts[row["buyer_id"]].pending_actions.append(
            ActionFact(
                id=row["id"],
                meeting_id=row["meeting_id"],
                title=row["title"],
                due_date=row["due_date"],
                is_suggestion=row["type"] == ActionType.SUGGESTED_ACTION,
            )
        )
    by_phone = {(row["agency_id"], row["phone"]): row["id"] for row in buyers}
    # A merged buyer's old numbers are the kept buyer's too (``BuyerPhone``).
    for agency_id, phone, buyer_id in BuyerPhone.objects.filter(buyer_id__in=facts).values_list(
        "agency_id", "phone", "buyer_id"
    ):
        by_phone[(agency_id, phone)] = buyer_id
    agencies = {row["agency_id"] for row in buyers}
    calls = MobileAppCall.objects.filter(
        buyer_number__in={phone for _, phone in by_phone}, seller__agency_id__in=agencies
    ).order_by("start_time", "id")
    for row in calls.values(
        "id", "buyer_number", "seller__agency_id", "start_time", "status", "call_type", "meeting_id"
    ):
        buyer_id = by_phone.get((row["seller__agency_id"], row["buyer_number"]))
        if buyer_id is None:
            continue
        facts[buyer_id].app_calls.append(
            AppCallFact(
                id=row["id"],
                start_time=row["start_time"],
                answered=row["meeting_id"] is not None or row["status"] == AppCallStatus.PROCESSING,
                outgoing=row["call_type"] == CallType.OUTGOING,
            )
        )
    _load_pricing_talk(facts.values())
    for fact in facts.values():
        if fact.owner_id is None:
            fact.owner_id = fact.meetings[-1].seller_id if fact.meetings else None
    created_by = {row["id"]: row["created_by_id"] for row in buyers}
    for fact in facts.values():
        fact.owner_id = fact.owner_id or created_by[fact.buyer_id]
    return list(facts.values())


def _load_pricing_talk(facts: Iterable[BuyerFacts]) -> None:
    """Whether each meeting of a negotiation streak talked money (one query for all of them)."""
    wanted = {
        m.id: fact for fact in facts if fact.stage == NEGOTIATION for m in fact.stage_streak()
    }
    if not wanted:
        return
    talked: dict[uuid.UUID, bool] = {}
    for row in Meeting.objects.filter(pk__in=wanted).values(
        "id", "transcription", "summary", "risks"
    ):
        texts = [str(s.get("text", "")) for s in row["transcription"] or [] if isinstance(s, dict)]
        texts += [str(s) for s in row["summary"] or []] if isinstance(row["summary"], list) else []
        price_risk = any(
            isinstance(r, dict) and r.get("risk") == "price" for r in row["risks"] or []
        )
        talked[row["id"]] = price_risk or pricing_talked(" ".join(texts))
    for fact in {id(f): f for f in wanted.values()}.values():
        fact.meetings = [
            m if m.id not in talked else _with_pricing(m, talked[m.id]) for m in fact.meetings
        ]


def _with_pricing(meeting: MeetingFact, talked: bool) -> MeetingFact:
    from dataclasses import replace

    return replace(meeting, talks_pricing=talked)


def buyer_insights_refresh(*, buyer_ids: Iterable[uuid.UUID], now: datetime | None = None) -> int:
    """Recompute the call-next score and warnings of these buyers; returns how many were done."""
    now = now or timezone.now()
    done = 0
    for chunk in _chunks(dict.fromkeys(buyer_ids), BATCH):
        done += _refresh_chunk(chunk, now)
    return done


def _refresh_chunk(buyer_ids: list[uuid.UUID], now: datetime) -> int:
    facts = buyer_facts_load(buyer_ids=buyer_ids)
    settings_by_agency = {
        agency.pk: insight_settings_for(agency.settings)
        for agency in Agency.objects.filter(pk__in={f.agency_id for f in facts}).only("settings")
    }
    insights: list[BuyerInsight] = []
    warnings: dict[tuple[uuid.UUID, str], DealWarning] = {}
    for fact in facts:
        if fact.owner_id is None:
            continue  # nobody has called or added this buyer: nobody to tell
        settings = settings_by_agency[fact.agency_id]
        reasons = call_next_reasons(fact, settings, now)
        next_action = next_action_of(fact)
        insights.append(
            BuyerInsight(
                agency_id=fact.agency_id,
                buyer_id=fact.buyer_id,
                seller_id=fact.owner_id,
                score=round(sum(r.points for r in reasons), 1),
                reasons=[r.as_dict() for r in sorted(reasons, key=lambda r: -r.points)],
                next_action_id=next_action.id if next_action else None,
                deal_stage=fact.stage or "",
                last_contacted_at=fact.last_contact(),
                computed_at=now,
            )
        )
        for warning in deal_warnings(fact, settings, now):
            warnings[(fact.buyer_id, warning.kind)] = DealWarning(
                agency_id=fact.agency_id,
                buyer_id=fact.buyer_id,
                seller_id=fact.owner_id,
                kind=warning.kind,
                since=warning.since,
                detail=warning.detail[:500],
                evidence=warning.evidence,
            )
    for attempt in range(3):
        try:
            with transaction.atomic():
                _store(buyer_ids, insights, warnings)
            break
        except IntegrityError:  # a concurrent refresh of the same buyers stored first: redo
            if attempt == 2:
                raise
    return len(facts)


def _store(
    buyer_ids: list[uuid.UUID],
    insights: list[BuyerInsight],
    warnings: dict[tuple[uuid.UUID, str], DealWarning],
) -> None:
    existing = {
        i.buyer_id: i
        for i in BuyerInsight.objects.select_for_update().filter(buyer_id__in=buyer_ids)
    }
    fields = [
        "seller",
        "score",
        "reasons",
        "next_action",
        "deal_stage",
        "last_contacted_at",
        "computed_at",
        "updated_at",
    ]
    update, create = [], []
    for insight in insights:
        old = existing.pop(insight.buyer_id, None)
        if old is None:
            create.append(insight)
            continue
        insight.pk, insight.created_at, insight.updated_at = old.pk, old.created_at, timezone.now()
        update.append(insight)
    BuyerInsight.objects.bulk_create(create)
    BuyerInsight.objects.bulk_update(update, fields)
    if existing:
        BuyerInsight.objects.filter(pk__in=[i.pk for i in existing.values()]).delete()

    current = defaultdict(dict)
    for row in DealWarning.objects.select_for_update().filter(buyer_id__in=buyer_ids):
        current[row.buyer_id][row.kind] = row
    gone, update, create = [], [], []
    for buyer_id in buyer_ids:
        for kind, row in current[buyer_id].items():
            wanted = warnings.pop((buyer_id, kind), None)
            if wanted is None:
                gone.append(row.pk)  # its cause went away: the warning clears itself
                continue
            row.seller_id, row.since, row.detail, row.evidence = (
                wanted.seller_id,
                wanted.since,
                wanted.detail,
                wanted.evidence,
            )
            row.updated_at = timezone.now()
            update.append(row)
    create = list(warnings.values())
    DealWarning.objects.filter(pk__in=gone).delete()
    DealWarning.objects.bulk_update(update, ["seller", "since", "detail", "evidence", "updated_at"])
    DealWarning.objects.bulk_create(create)


def agency_insights_refresh(*, agency_id: uuid.UUID, now: datetime | None = None) -> int:
    """Every buyer of the agency (the nightly pass: time alone makes actions overdue)."""
    ids = Buyer.objects.filter(agency_id=agency_id).values_list("id", flat=True).order_by("id")
    return buyer_insights_refresh(buyer_ids=ids.iterator(chunk_size=BATCH), now=now)
