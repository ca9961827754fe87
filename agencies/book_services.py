"""Writes on the buyer book: lifecycle, tags, notes, enrichment, soft delete, merge.

Every write to a buyer goes through ``_save``: the buyer's ``HistoricalBuyer`` row
(django-simple-history) records who (``history_user``; the analysis, a worker or the system
have none), when, and the whole row, so the audit trail shows each write's fields before and
after. Its ``history_change_reason`` is ``"<action>|<actor kind>|<detail>"`` (``AUDIT_ACTIONS``).
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from agencies.buyer_search_cache import buyer_search_cache_invalidate
from agencies.enrichment import PROFILE_FIELDS, phones_heard, profile_extract
from agencies.models import (
    Agency,
    Buyer,
    BuyerLifecycleChange,
    BuyerMerge,
    BuyerNote,
    BuyerPhone,
    BuyerTag,
    Lifecycle,
    LifecycleCause,
    NoteKind,
)
from agencies.selectors import buyers_route
from chirpworks.exceptions import ApplicationError, ConflictError
from chirpworks.signals import buyers_merged_send, buyers_visibility_changed
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
MAX_MERGE = 20
EDITABLE_FIELDS = ("name", "email", "company_name")


def _actor_kind(actor: Seller | None, default: str) -> str:
    return "user" if actor is not None else default


def _save(
    buyer: Buyer,
    *,
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


# --- Lifecycle -------------------------------------------------------------------------------


def _transition(
    buyer: Buyer,
    *,
    to_state: str,
    cause: str,
    actor: Seller | None = None,
    meeting_id: uuid.UUID | None = None,
    save: bool = True,
) -> bool:
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
        _save(
            buyer,
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
        moved = _transition(
            buyer,
            to_state=_state_before_dormancy(buyer),
            cause=LifecycleCause.SYSTEM,
            meeting_id=meeting_id,
            save=save,
        )
    target = lifecycle_target(current=buyer.lifecycle, deal_stage=deal_stage)
    if target is not None:
        moved = (
            _transition(
                buyer,
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
                    changed += _transition(
                        locked, to_state=Lifecycle.DORMANT, cause=LifecycleCause.SYSTEM
                    )
    return changed


# --- Profile edits, tags ----------------------------------------------------------------------


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


def _tags_set(buyer: Buyer, tags: list[BuyerTag]) -> bool:
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
            if _tags_set(buyer, tags):
                changed.append("tag_names")
        lifecycle = data.get("lifecycle")
        if lifecycle and lifecycle != buyer.lifecycle:
            _transition(
                buyer, to_state=lifecycle, cause=LifecycleCause.USER, actor=actor, save=False
            )
            changed += ["lifecycle", "lifecycle_cause", "lifecycle_changed_at"]
        elif lifecycle and buyer.lifecycle_cause != LifecycleCause.USER:
            # The same state, chosen on purpose: the analysis leaves it from now on.
            buyer.lifecycle_cause = LifecycleCause.USER
            changed.append("lifecycle_cause")
        if changed:
            action = "tags" if changed == ["tag_names"] else "edit"
            _save(buyer, action=action, actor=actor, detail=",".join(changed), fields=changed)
    if changed:
        buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer


# --- Notes -----------------------------------------------------------------------------------


def _note_create(
    *,
    buyer: Buyer,
    text: str,
    author: Seller | None,
    meeting: "Meeting | None" = None,
    kind: str = NoteKind.NOTE,
) -> BuyerNote:
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
    _save(buyer, action="note", actor=author, detail=detail, fields=["last_note_at"])
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
        return _note_create(buyer=buyer, text=text, author=actor, meeting=meeting)


# --- Enrichment from the analysis ------------------------------------------------------------


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


# --- Soft delete, restore, purge -------------------------------------------------------------


def _reindex_buyer_world(buyer_ids: list[uuid.UUID], phones: list[str]) -> None:
    """Re-index what search shows of these buyers: profiles, meetings, actions, app calls."""
    buyers_visibility_changed.send(Buyer, buyer_ids=buyer_ids, phones=phones)


def _phones_of(buyer: Buyer) -> list[str]:
    return [buyer.phone, *buyer.alternate_phones.values_list("phone", flat=True)]


def buyer_soft_delete(*, actor: Seller, buyer: Buyer) -> Buyer:
    """Hide the buyer everywhere (lists, search, analytics); everything is kept for a restore."""
    with transaction.atomic():
        buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
        if buyer.deleted_at is not None:
            return buyer
        buyer.deleted_at = timezone.now()
        buyer.deleted_by = actor
        _save(buyer, action="delete", actor=actor, fields=["deleted_at", "deleted_by"])
        _reindex_buyer_world([buyer.pk], _phones_of(buyer))
    buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer


def buyer_restore(
    *, actor: Seller | None, buyer: Buyer, note: str = "", lock: bool = True
) -> Buyer:
    """Bring a deleted buyer back, with all its calls, actions and notes; a merged-away buyer
    cannot be (its calls now belong to the buyer it was merged into)."""
    with transaction.atomic():
        if lock:
            buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
        if buyer.merged_into_id is not None:
            raise ConflictError(
                "This buyer was merged into another and cannot be restored", code="buyer_merged"
            )
        if buyer.deleted_at is None:
            return buyer
        buyer.deleted_at = None
        buyer.deleted_by = None
        _save(
            buyer,
            action="restore",
            actor=actor,
            detail="new call" if note else "",
            fields=["deleted_at", "deleted_by"],
        )
        if note:
            _note_create(buyer=buyer, text=note, author=None, kind=NoteKind.SYSTEM)
        _reindex_buyer_world([buyer.pk], _phones_of(buyer))
    buyer_search_cache_invalidate(agency_id=buyer.agency_id)
    return buyer


def buyers_restore_by_call(*, buyers: list[Buyer]) -> None:
    """Deleted buyers a new call came from are back, each with a note saying so."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    for buyer in buyers:
        if buyer.deleted_at is not None and buyer.merged_into_id is None:
            buyer_restore(
                actor=None, buyer=buyer, note=f"Restored: a new call from this number on {when}."
            )
            logger.info("Buyer %s restored by a new call", buyer.pk)


@dataclass(frozen=True)
class PurgeResult:
    buyers: int
    meetings: int


def buyers_purge_deleted(*, older_than: datetime, dry_run: bool = False) -> PurgeResult:
    """Delete for good the buyers deleted (or merged away) before ``older_than``, with their
    calls, actions and notes; their audit rows stay."""
    buyers = Buyer.objects.filter(deleted_at__lt=older_than)
    ids = list(buyers.values_list("pk", flat=True))
    meetings = (
        Buyer.objects.filter(pk__in=ids).aggregate(meetings=Count("meetings"))["meetings"]
        if ids
        else 0
    )
    if dry_run or not ids:
        return PurgeResult(len(ids), meetings)
    for start in range(0, len(ids), 200):
        batch = ids[start : start + 200]
        with transaction.atomic():
            for buyer in Buyer.objects.filter(pk__in=batch, deleted_at__lt=older_than):
                buyer._history_user = None
                buyer._change_reason = "purge|system|retention"
                buyer.delete()
    return PurgeResult(len(ids), meetings)


# --- Routing calls to buyers (find-or-create) ------------------------------------------------


def buyers_lock_routed(*, buyers: dict[tuple, Buyer]) -> dict[tuple, Buyer]:
    """Lock the routed buyers (in id order) for the caller's transaction, and route again any
    that a merge absorbed meanwhile: a call resolved while a merge of its number runs ends on
    the kept buyer. No-op outside PostgreSQL (SQLite has one writer at a time)."""
    if connection.vendor != "postgresql" or not buyers or not connection.in_atomic_block:
        return buyers
    for _ in range(3):
        ids = sorted({b.pk for b in buyers.values()})
        locked = {
            b.pk: b
            for b in Buyer.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        }
        moved = {key for key, b in buyers.items() if locked[b.pk].merged_into_id}
        buyers = {key: locked[b.pk] for key, b in buyers.items()}
        if not moved:
            return buyers
        rerouted = buyers_route(
            agency_ids={key[0] for key in moved}, phones={key[1] for key in moved}
        )
        buyers.update({key: rerouted[key] for key in moved if key in rerouted})
    return buyers


# --- Merge -----------------------------------------------------------------------------------


def _snapshot(buyer: Buyer) -> dict[str, Any]:
    return {
        "id": str(buyer.pk),
        "phone": buyer.phone,
        "name": buyer.name,
        "email": buyer.email,
        "company_name": buyer.company_name,
        "lifecycle": buyer.lifecycle,
        "tag_names": buyer.tag_names,
        "profile": buyer.profile,
        "created_by": str(buyer.created_by_id) if buyer.created_by_id else None,
        "last_contacted_at": buyer.last_contacted_at.isoformat()
        if buyer.last_contacted_at
        else None,
    }


def buyers_merge(*, actor: Seller | None, keep: Buyer, merge: list[Buyer]) -> BuyerMerge:
    """Absorb ``merge`` into ``keep`` in one transaction (the caller checked who may).

    Meetings, actions, notes, lifecycle history, tags, alternate numbers and search documents
    move to the kept buyer; app calls follow their numbers, which become the kept buyer's
    alternates. Blank fields of the kept buyer are filled from the absorbed ones. Each absorbed
    buyer stays as a deleted row pointing at the kept one (``merged_into``), so its number, its
    audit rows and a concurrent call resolved to it all lead to the kept buyer.
    """
    merge_ids = sorted({b.pk for b in merge} - {keep.pk})
    if not merge_ids:
        raise ApplicationError("Nothing to merge", code="nothing_to_merge")
    with transaction.atomic():
        # One lock order for every merge and every call sync (id order): no deadlock.
        locked = {
            b.pk: b
            for b in Buyer.objects.select_for_update()
            .filter(pk__in=[keep.pk, *merge_ids])
            .order_by("pk")
        }
        kept = locked.get(keep.pk)
        absorbed = [locked[pk] for pk in merge_ids if pk in locked]
        if kept is None or len(absorbed) != len(merge_ids):
            raise ConflictError("A buyer changed during the merge; try again", code="merge_stale")
        if any(b.deleted_at is not None for b in [kept, *absorbed]):
            raise ConflictError("Deleted buyers cannot be merged", code="buyer_deleted")
        if any(b.agency_id != kept.agency_id for b in absorbed):
            raise ApplicationError("Buyers of different agencies", code="agency_mismatch")

        elsewhere = buyers_merged_send(
            sender=Buyer, agency_id=kept.agency_id, kept_id=kept.pk, merged_ids=merge_ids
        )
        moved = {
            "meetings": elsewhere.get("meetings", 0),
            "actions": elsewhere.get("actions", 0),
            "notes": BuyerNote.objects.filter(buyer_id__in=merge_ids).update(buyer=kept),
            "lifecycle_changes": BuyerLifecycleChange.objects.filter(buyer_id__in=merge_ids).update(
                buyer=kept
            ),
            "search_documents": elsewhere.get("search_documents", 0),
        }
        BuyerPhone.objects.filter(buyer_id__in=merge_ids).update(buyer=kept)
        BuyerPhone.objects.bulk_create(
            [BuyerPhone(agency_id=kept.agency_id, buyer=kept, phone=b.phone) for b in absorbed],
            ignore_conflicts=True,
        )
        BuyerMerge.objects.filter(kept_id__in=merge_ids).update(kept=kept)

        tag_ids = set(
            Buyer.tags.through.objects.filter(buyer_id__in=[kept.pk, *merge_ids]).values_list(
                "buyertag_id", flat=True
            )
        )
        _tags_set(kept, list(BuyerTag.objects.filter(pk__in=tag_ids).order_by("name")))
        for name in EDITABLE_FIELDS:
            if not getattr(kept, name):
                setattr(
                    kept, name, next((getattr(b, name) for b in absorbed if getattr(b, name)), "")
                )
        profile = dict(kept.profile or {})
        for buyer in absorbed:
            for name, entry in (buyer.profile or {}).items():
                profile.setdefault(name, entry)
        kept.profile = profile
        kept.created_by_id = kept.created_by_id or next(
            (b.created_by_id for b in absorbed if b.created_by_id), None
        )
        latest = max(
            [kept, *absorbed], key=lambda b: b.last_contacted_at or datetime.min.replace(tzinfo=UTC)
        )
        if latest.last_contacted_at and latest is not kept:
            kept.last_contacted_at = latest.last_contacted_at
            kept.last_contacted_by_id = latest.last_contacted_by_id
        furthest = max([kept, *absorbed], key=lambda b: LIFECYCLE_RANK.get(b.lifecycle, -1))
        if LIFECYCLE_RANK.get(furthest.lifecycle, -1) > LIFECYCLE_RANK.get(kept.lifecycle, -1):
            _transition(
                kept,
                to_state=furthest.lifecycle,
                cause=LifecycleCause.MERGE,
                actor=actor,
                save=False,
            )
        for list_field in ("risks", "key_highlights", "products_discussed"):
            combined = list(getattr(kept, list_field) or [])
            for buyer in absorbed:
                combined += [i for i in getattr(buyer, list_field) or [] if i not in combined]
            setattr(kept, list_field, combined[:20])

        record = BuyerMerge.objects.create(
            agency_id=kept.agency_id,
            kept=kept,
            merged_ids=[str(pk) for pk in merge_ids],
            actor=actor,
            snapshot=[_snapshot(b) for b in absorbed],
            moved=moved,
        )
        now = timezone.now()
        for buyer in absorbed:
            buyer.merged_into = kept
            buyer.deleted_at = now
            buyer.deleted_by = actor
            buyer.tags.clear()
            buyer.tag_names = []
            _save(
                buyer,
                action="merged",
                actor=actor,
                detail=f"into {kept.pk}",
                fields=["merged_into", "deleted_at", "deleted_by", "tag_names"],
            )
        _save(kept, action="merge", actor=actor, detail=f"merge {record.pk}")
        _reindex_buyer_world([kept.pk, *merge_ids], [b.phone for b in absorbed])
    buyer_search_cache_invalidate(agency_id=kept.agency_id)
    return record
