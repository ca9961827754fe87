"""Writes on the buyer book: lifecycle, tags, notes, enrichment.

Soft delete, restore and purge are ``agencies.deletion_services``; merges are
``agencies.merge_services``. Every write to a buyer goes through ``buyer_save_audited``: the
buyer's ``HistoricalBuyer`` row (django-simple-history) records who (``history_user``; the
analysis, a worker or the system have none), when, and the whole row, so the audit trail shows
each write's fields before and after. Its ``history_change_reason`` is
``"<action>|<actor kind>|<detail>"`` (``AUDIT_ACTIONS``).
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.buyer_search_cache import buyer_search_cache_invalidate
from agencies.enrichment import PROFILE_FIELDS, phones_heard, profile_extract
from agencies.models import (
    Agency,
    Buyer,
    BuyerLifecycleChange,
    BuyerNote,
    BuyerTag,
    Lifecycle,
    LifecycleCause,
    NoteKind,
)
from chirpworks.exceptions import ApplicationError
from chirpworks.signals import buyers_visibility_changed
from sellers.models import Seller

if TYPE_CHECKING:  # agencies sit below meetings: a note's FK reaches Meeting by its string name
    from meetings.models import Meeting

logger = logging.getLogger(__name__)

AUDIT_ACTIONS = (
    "create",
    "edit",
    "tags",
    "lifecycle",
    "note",
    "analysis",
    "merge",
    "merged",
    "delete",
    "restore",
)
# Forward order of the pipeline states; ``lost`` and ``dormant`` sit outside it.
LIFECYCLE_RANK = {
    Lifecycle.LEAD: 0,
    Lifecycle.PROSPECT: 1,
    Lifecycle.NEGOTIATING: 2,
    Lifecycle.CUSTOMER: 3,
}
# The analysis's deal stage (``meetings.models.DEAL_STAGES``) → the lifecycle it implies.
DEAL_STAGE_LIFECYCLE = {
    "Solution Presentation / Demo": Lifecycle.PROSPECT,
    "Stakeholder Alignment": Lifecycle.PROSPECT,
    "Negotiation / Approval": Lifecycle.NEGOTIATING,
    "Likely Won": Lifecycle.CUSTOMER,
    "Likely Lost": Lifecycle.LOST,
}
# States the dormancy sweep may leave: a customer or a lost buyer stays what they are.
DORMANT_FROM = (Lifecycle.LEAD, Lifecycle.PROSPECT, Lifecycle.NEGOTIATING)
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
EDITABLE_FIELDS = ("name", "email", "company_name")


def _actor_kind(actor: Seller | None, default: str) -> str:
    return "user" if actor is not None else default


def buyer_save_audited(
    *,
    buyer: Buyer,
    action: str,
    actor: Seller | None = None,
    actor_kind: str = "system",
    detail: str = "",
    fields: list[str] | None = None,
) -> None:
    """Save ``buyer`` with its audit row: who, what action, and why."""
    buyer._history_user = actor
    kind = _actor_kind(actor, actor_kind)
    buyer._change_reason = f"{action}|{kind}|{detail}"[:100]
    buyer.save(update_fields=[*fields, "updated_at"] if fields else None)


def tag_normalise(name: str) -> str:
    """``"  VIP   Client "`` → ``"vip client"``: case and spacing never make two tags."""
    return " ".join(str(name).split()).casefold()


def buyer_lifecycle_transition(
    *,
    buyer: Buyer,
    to_state: str,
    cause: str,
    actor: Seller | None = None,
    meeting_id: uuid.UUID | None = None,
    save: bool = True,
) -> bool:
    """Move ``buyer`` to ``to_state`` with its lifecycle change row; False when it is there."""
    if buyer.lifecycle == to_state:
        return False
    BuyerLifecycleChange.objects.create(
        buyer=buyer,
        from_state=buyer.lifecycle,
        to_state=to_state,
        cause=cause,
        meeting_id=meeting_id,
        actor=actor,
    )
    buyer.lifecycle = to_state
    buyer.lifecycle_cause = cause
    buyer.lifecycle_changed_at = timezone.now()
    if save:
        actor_kind = {LifecycleCause.ANALYSIS: "analysis"}.get(cause, "system")
        detail = f"meeting {meeting_id}" if meeting_id else to_state
        buyer_save_audited(
            buyer=buyer,
            action="lifecycle",
            actor=actor,
            actor_kind=actor_kind,
            detail=detail,
            fields=["lifecycle", "lifecycle_cause", "lifecycle_changed_at"],
        )
    return True


def lifecycle_target(*, current: str, deal_stage: str | None) -> str | None:
    """The state a meeting's deal stage moves ``current`` to, if it moves it at all.

    Forward only along lead → prospect → negotiating → customer; ``lost`` from any state but
    customer; a lost buyer moves only to customer (a deal won after all).
    """
    target = DEAL_STAGE_LIFECYCLE.get(deal_stage or "")
    if target is None or target == current:
        return None
    if current == Lifecycle.LOST:
        return target if target == Lifecycle.CUSTOMER else None
    if target == Lifecycle.LOST:
        return None if current == Lifecycle.CUSTOMER else target
    if LIFECYCLE_RANK[target] > LIFECYCLE_RANK.get(current, -1):
        return target
    return None


def _state_before_dormancy(buyer: Buyer) -> str:
    change = (
        BuyerLifecycleChange.objects.filter(buyer=buyer, to_state=Lifecycle.DORMANT)
        .order_by("-created_at")
        .first()
    )
    return change.from_state if change else Lifecycle.LEAD


def buyer_lifecycle_from_meeting(
    *, buyer: Buyer, meeting_id: uuid.UUID, deal_stage: str | None, save: bool = True
) -> bool:
    """Move the lifecycle as a meeting's analysis says: never backward, never over a person.

    A dormant buyer (made so by the sweep) who calls again first returns to where they were.
    """
    if buyer.lifecycle_cause == LifecycleCause.USER:
        return False
    moved = False
    if buyer.lifecycle == Lifecycle.DORMANT:
        moved = buyer_lifecycle_transition(
            buyer=buyer,
            to_state=_state_before_dormancy(buyer),
            cause=LifecycleCause.SYSTEM,
            meeting_id=meeting_id,
            save=save,
        )
    target = lifecycle_target(current=buyer.lifecycle, deal_stage=deal_stage)
    if target is not None:
        moved = (
            buyer_lifecycle_transition(
                buyer=buyer,
                to_state=target,
                cause=LifecycleCause.ANALYSIS,
                meeting_id=meeting_id,
                save=save,
            )
            or moved
        )
    return moved


def buyers_mark_dormant(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Buyers with no call for their agency's ``buyer_dormant_after_days`` become dormant.

    Only lead / prospect / negotiating buyers, and never one whose lifecycle a person chose since
    that cutoff. Returns how many (would) change.
    """
    now = now or timezone.now()
    changed = 0
    for agency in Agency.objects.only("pk", "buyer_dormant_after_days"):
        cutoff = now - timedelta(days=agency.buyer_dormant_after_days)
        quiet = (
            Buyer.objects.filter(agency=agency, deleted_at__isnull=True, lifecycle__in=DORMANT_FROM)
            .filter(
                Q(last_contacted_at__lt=cutoff)
                | Q(last_contacted_at__isnull=True, created_at__lt=cutoff)
            )
            .exclude(lifecycle_cause=LifecycleCause.USER, lifecycle_changed_at__gte=cutoff)
            .order_by("pk")
        )
        if dry_run:
            changed += quiet.count()
            continue
        for buyer in quiet.iterator(chunk_size=500):
            with transaction.atomic():
                locked = Buyer.objects.select_for_update().get(pk=buyer.pk)
                if locked.lifecycle in DORMANT_FROM:
                    changed += buyer_lifecycle_transition(
                        buyer=locked, to_state=Lifecycle.DORMANT, cause=LifecycleCause.SYSTEM
                    )
    return changed


def _tags_resolve(*, agency: Agency, names: list[str]) -> list[BuyerTag]:
    wanted = sorted({tag_normalise(name) for name in names} - {""})
    if len(wanted) > MAX_TAGS:
        raise ApplicationError(f"At most {MAX_TAGS} tags", code="too_many_tags")
    if any(len(name) > MAX_TAG_LENGTH for name in wanted):
        raise ApplicationError(f"A tag is at most {MAX_TAG_LENGTH} characters", code="tag_too_long")
    BuyerTag.objects.bulk_create(
        [BuyerTag(agency=agency, name=name) for name in wanted], ignore_conflicts=True
    )
    return list(BuyerTag.objects.filter(agency=agency, name__in=wanted).order_by("name"))


def buyer_tags_set(*, buyer: Buyer, tags: list[BuyerTag]) -> bool:
    """Set ``buyer``'s tags and their denormalised names (unsaved); False when unchanged."""
    names = [tag.name for tag in tags]
    if names == list(buyer.tag_names or []):
        return False
    buyer.tags.set(tags)
    buyer.tag_names = names
    return True


def buyer_update(*, actor: Seller, buyer: Buyer, data: dict[str, Any]) -> Buyer:
    """A person's edit (``PATCH /api/buyers/profile/<id>``): name, email, company, lifecycle,
    tags, profile fields. Everything is checked before anything is written; one transaction,
    one audit row. A person's profile value is kept over later extractions; ``null`` clears it.
    """
    changed: list[str] = []
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
        for name in EDITABLE_FIELDS:
            if name in data and (data[name] or "") != getattr(buyer, name):
                setattr(buyer, name, data[name] or "")
                changed.append(name)
        if "profile" in data:
            profile = dict(buyer.profile or {})
            today = timezone.localdate().isoformat()
            for name, value in data["profile"].items():
                entry = {"value": value, "source": "user", "by": str(actor.pk), "date": today}
                if (profile.get(name) or {}).get("value") != value or value is None:
                    profile[name] = entry
            if profile != buyer.profile:
                buyer.profile = profile
                changed.append("profile")
        if "email" in changed:
            buyer.full_clean(
                exclude=[f.name for f in Buyer._meta.fields if f.name != "email"],
                validate_unique=False,
                validate_constraints=False,
            )
        if "tags" in data:
            tags = _tags_resolve(agency=buyer.agency, names=data["tags"])
            if buyer_tags_set(buyer=buyer, tags=tags):
                changed.append("tag_names")
        lifecycle = data.get("lifecycle")
        if lifecycle and lifecycle != buyer.lifecycle:
            buyer_lifecycle_transition(
                buyer=buyer, to_state=lifecycle, cause=LifecycleCause.USER, actor=actor, save=False
            )
            changed += ["lifecycle", "lifecycle_cause", "lifecycle_changed_at"]
        elif lifecycle and buyer.lifecycle_cause != LifecycleCause.USER:
            # The same state, chosen on purpose: the analysis leaves it from now on.
            buyer.lifecycle_cause = LifecycleCause.USER
            changed.append("lifecycle_cause")
        if changed:
            action = "tags" if changed == ["tag_names"] else "edit"
            buyer_save_audited(
                buyer=buyer, action=action, actor=actor, detail=",".join(changed), fields=changed
            )
    if changed:
        buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer


def buyer_note_create(
    *,
    buyer: Buyer,
    text: str,
    author: Seller | None,
    meeting: "Meeting | None" = None,
    kind: str = NoteKind.NOTE,
) -> BuyerNote:
    """Store a note on ``buyer`` (locked by the caller) and stamp the buyer's last note."""
    note = BuyerNote(
        agency_id=buyer.agency_id,
        buyer=buyer,
        meeting=meeting,
        author=author,
        kind=kind,
        text=text,
    )
    note.full_clean(exclude=["agency", "buyer", "meeting", "author"])
    note.save()
    buyer.last_note_at = note.created_at
    detail = f"meeting {meeting.pk}" if meeting else str(note.pk)
    buyer_save_audited(
        buyer=buyer, action="note", actor=author, detail=detail, fields=["last_note_at"]
    )
    return note


def buyer_note_add(
    *, actor: Seller, buyer: Buyer, text: str, meeting: "Meeting | None" = None
) -> BuyerNote:
    """A seller's note on a buyer, or on one of the buyer's meetings."""
    text = text.strip()
    if not text:
        raise ApplicationError("A note needs text", code="empty_note")
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
        return buyer_note_create(buyer=buyer, text=text, author=actor, meeting=meeting)


def buyer_enrich_from_analysis(
    *, buyer: Buyer, meeting: "Meeting", analysis: dict[str, Any]
) -> list[str]:
    """Fold the details said on ``meeting`` into the profile, each with its meeting and date.

    A value a person typed is never replaced; a value from an older meeting is replaced by a
    newer meeting's. Also moves the lifecycle by the meeting's deal stage. The caller saves.
    """
    region = buyer.agency.default_phone_region if buyer.agency_id else "IN"
    found = profile_extract(analysis=analysis, transcript=meeting.transcription)
    heard = [p for p in phones_heard(meeting.transcription, region=region) if p != buyer.phone]
    profile = dict(buyer.profile or {})
    date = meeting.start_time.date().isoformat() if meeting.start_time else None
    changed = []
    for name in PROFILE_FIELDS:
        value = found.get(name)
        current = profile.get(name) or {}
        if not value or current.get("source") == "user":
            continue
        if current.get("date") and date and current["date"] > date:
            continue  # an older meeting re-analysed does not undo a newer one
        entry = {"value": value, "source": "analysis", "meeting_id": str(meeting.pk), "date": date}
        if current != entry:
            profile[name] = entry
            changed.append(name)
    if heard:
        known = list((profile.get("phones_heard") or {}).get("value") or [])
        merged = known + [p for p in heard if p not in known]
        if merged != known:
            profile["phones_heard"] = {
                "value": merged[:10],
                "source": "analysis",
                "meeting_id": str(meeting.pk),
                "date": date,
            }
            changed.append("phones_heard")
    buyer.profile = profile
    stage = analysis.get("deal_stage")
    stage = stage.get("deal_stage") if isinstance(stage, dict) else stage
    if buyer_lifecycle_from_meeting(
        buyer=buyer, meeting_id=meeting.pk, deal_stage=stage, save=False
    ):
        changed.append("lifecycle")
    return changed


def buyers_visibility_announce(*, buyer_ids: list[uuid.UUID], phones: list[str]) -> None:
    """Re-index what search shows of these buyers: profiles, meetings, actions, app calls."""
    buyers_visibility_changed.send(Buyer, buyer_ids=buyer_ids, phones=phones)


def buyer_phones(*, buyer: Buyer) -> list[str]:
    """The buyer's number and its alternates."""
    return [buyer.phone, *buyer.alternate_phones.values_list("phone", flat=True)]
