"""Writes of an analysis on its meeting: fields, actions, scores, trackers, the buyer's profile."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from actions.models import ActionType
from actions.services import ActionProposal, ActionSyncResult, action_sync_for_meeting
from agencies.services import buyer_apply_analysis
from chirpworks.timeframes import within_date_bounds
from meetings.models import CorrectionField, Meeting
from meetings.performance_services import call_performance_upsert
from meetings.selectors import meeting_corrected_fields
from meetings.trackers import meeting_tracker_hits_store


def parse_due_date(value: Any, *, naive_tz: ZoneInfo) -> datetime | None:
    """An ISO-8601 due date as an aware datetime (naive ones are in ``naive_tz``); else None."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None  # e.g. the old prompts' "Not Specified"
    else:
        return None
    if not within_date_bounds(parsed):
        return None  # year 1 or 9999: a model's typo, and an overflow once stored
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v)
    return "" if value is None else str(value)


def _signals(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def action_proposals(
    items: list[dict[str, Any]] | None, *, type: str, naive_tz: ZoneInfo
) -> list[ActionProposal]:
    """Analysis action items (contract §4.7 or the old prompts' keys) as proposals."""
    proposals = []
    prefix = "suggested_action_" if type == ActionType.SUGGESTED_ACTION else "action_"
    for item in items or []:
        if not isinstance(item, dict):
            continue
        title = item.get("action_name") or item.get(f"{prefix}name")
        if not isinstance(title, str) or not title.strip():
            continue  # the contract skips items without a name
        reasoning = item.get("reasoning", item.get(f"{prefix}reasoning"))
        signals = item.get("signals", item.get(f"{prefix}signals"))
        if isinstance(reasoning, dict):  # the suggested-action prompt nests its signals
            signals = signals or reasoning.get("signals")
            reasoning = reasoning.get("reasoning")
        due = item.get("due_date", item.get(f"{prefix}due_date"))
        description = item.get("description", item.get(f"{prefix}description"))
        proposals.append(
            ActionProposal(
                title=title,
                type=type,
                description={"text": _text(description)},
                due_date=parse_due_date(due, naive_tz=naive_tz),
                reasoning=_text(reasoning),
                signals=_signals(signals),
            )
        )
    return proposals


def _meeting_assign_analysis(
    meeting: Meeting, analysis: dict[str, Any], *, corrected: set[str]
) -> None:
    """Set the meeting's analysis fields from ``analysis``, except the ones in ``corrected``."""
    summary = analysis.get("call_summary") or {}
    if isinstance(summary, dict):
        bullets = summary.get("bullets") or []
        key_points = summary.get("key_discussion_points") or []
    else:
        bullets, key_points = summary, []
    meeting.title = (analysis.get("call_title") or meeting.title or "Call")[:300]
    if CorrectionField.SUMMARY not in corrected:
        meeting.summary = bullets if isinstance(bullets, list) else [str(bullets)]
    meeting.key_discussion_points = key_points
    meeting.type = analysis.get("call_type")
    meeting.detected_call_type = analysis.get("detected_call_type")
    if CorrectionField.DETECTED_PRODUCTS not in corrected:
        meeting.detected_products = analysis.get("detected_products") or []
    meeting.qa_pairs = analysis.get("qa_pairs") or []
    meeting.facts = analysis.get("facts") or []
    if CorrectionField.DEAL_STAGE not in corrected:
        meeting.deal_stage = analysis.get("deal_stage")
    meeting.risks = analysis.get("risks") or []
    meeting.analysis_extras = {
        key: analysis.get(key)
        for key in ("sentiment", "talk_ratio", "longest_monologue", "speaker_roles", "provider")
    }


def meeting_apply_analysis(*, meeting: Meeting, analysis: dict[str, Any]) -> ActionSyncResult:
    """Store a provider's analysis (``pipeline.analysis.base``) on the meeting, in one transaction.

    Meeting fields, actions and suggested actions (updated in place by title), call performance
    and the buyer's profile.
    """
    tz = meeting.agency.tzinfo
    with transaction.atomic():
        # A field a person corrected keeps the correction, whatever the analysis says now.
        corrected = meeting_corrected_fields(meeting=meeting)
        _meeting_assign_analysis(meeting, analysis, corrected=corrected)
        meeting.save()

        proposals = action_proposals(
            analysis.get("actions"), type=ActionType.ACTION, naive_tz=tz
        ) + action_proposals(
            analysis.get("suggested_actions"), type=ActionType.SUGGESTED_ACTION, naive_tz=tz
        )
        result = action_sync_for_meeting(
            meeting=meeting,
            proposals=proposals,
            types=[ActionType.ACTION, ActionType.SUGGESTED_ACTION],
        )
        performance = analysis.get("performance")
        if isinstance(performance, dict):
            call_performance_upsert(meeting=meeting, data=performance)
        meeting_tracker_hits_store(meeting=meeting)
        profile = analysis.get("buyer_profile") or {}
        buyer_apply_analysis(
            buyer=meeting.buyer,
            meeting_id=str(meeting.pk),
            risks=profile.get("risks") or analysis.get("risks") or [],
            products_discussed=profile.get("products_discussed") or [],
            key_highlights=profile.get("key_highlights") or [],
            meeting=meeting,
            analysis=analysis,
        )
    return result


# The summary PUT's keys that are stored as they come, and the meeting field each one sets.
_SUMMARY_SIMPLE_FIELDS = {
    "call_title": "title",
    "call_type": "type",
    "detected_call_type": "detected_call_type",
    "detected_products": "detected_products",
    "qa_pairs": "qa_pairs",
    "facts": "facts",
    "deal_stage": "deal_stage",
    "risks": "risks",
}


def _summary_assign(
    meeting: Meeting, data: dict[str, Any], *, corrected: set[str]
) -> tuple[list[str], list[str]]:
    """Set the fields ``data`` gives, except corrected ones: ``(updated, kept)`` field names."""
    updated: list[str] = []
    kept: list[str] = []
    for key, field in _SUMMARY_SIMPLE_FIELDS.items():
        if key in data:
            if field in corrected:
                kept.append(field)
                continue
            setattr(meeting, field, data[key])
            updated.append(field)
    if "call_summary" in data:
        summary = data["call_summary"]
        if isinstance(summary, dict):
            summary = dict(summary)
            if "key_discussion_points" in summary:
                meeting.key_discussion_points = summary.pop("key_discussion_points")
                updated.append("key_discussion_points")
            summary = summary.get("bullets", summary)
        if CorrectionField.SUMMARY in corrected:
            kept.append("summary")
        else:
            meeting.summary = summary if isinstance(summary, list | dict) else [summary]
            updated.append("summary")
    if "title" in updated:
        meeting.title = (meeting.title or "Call")[:300]
    return updated, kept


def _summary_actions_sync(meeting: Meeting, data: dict[str, Any]) -> ActionSyncResult:
    """Sync the kinds of actions ``data`` holds (naive due dates are UTC); others are left alone."""
    proposals: list[ActionProposal] = []
    types: list[str] = []
    for key, kind in (
        ("actions", ActionType.ACTION),
        ("suggested_actions", ActionType.SUGGESTED_ACTION),
    ):
        if data.get(key):
            types.append(kind)
            proposals += action_proposals(data[key], type=kind, naive_tz=ZoneInfo("UTC"))
    if not types:
        return ActionSyncResult([], [], [])
    return action_sync_for_meeting(meeting=meeting, proposals=proposals, types=types)


def meeting_update_summary(*, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    """``PUT /api/meetings/call_data/summary/<id>``: update only the analysis keys given (§4.7).

    Naive action due dates are UTC, as the old workers send them. Actions of a kind that is
    present in ``data`` are synced in place by title (ids and completed status survive).
    """
    corrected = meeting_corrected_fields(meeting=meeting)
    with transaction.atomic():
        updated, kept = _summary_assign(meeting, data, corrected=corrected)
        if updated:
            meeting.save(update_fields=[*updated, "updated_at"])
        result = _summary_actions_sync(meeting, data)
    return {
        "updated_fields": updated,
        "kept_corrections": kept,
        "actions_created": len(result.created_ids),
        "created_action_ids": result.created_ids,
        "actions_updated": len(result.updated_ids),
        "actions_deleted": len(result.deleted_ids),
    }
