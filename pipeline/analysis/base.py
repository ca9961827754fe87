"""The analysis provider interface.

``AnalysisProvider.analyse(segments=..., context=...)`` returns a dict with these keys (the
contract's §4.7 analysis plus §4.8 performance, plus a few derived figures):

- ``call_title``: str
- ``call_summary``: ``{"bullets": [str, ≤ 5], "key_discussion_points": [str]}``
- ``call_type``: str (e.g. "sales_call", "follow_up", "support") and ``detected_call_type``: str
- ``detected_products``: ``[{"product_id": str | None, "product_name": str, "features": [str],
  "mentions": int, "interest_level": "high" | "medium" | "low"}]``
- ``qa_pairs``: ``[{"question": str, "answer": str}]``
- ``facts``: ``[{"subject": str, "predicate": str, "object": str}]``
- ``deal_stage``: ``{"deal_stage": one of DEAL_STAGES, "stage_signals": [str],
  "stage_reasoning": [str]}``
- ``risks``: ``[{"risk": "price" | "timing" | "competitor" | "trust" | "need", "risk_signal": str,
  "risk_reasoning": str}]`` (the objections and risks, each with the sentence that signalled it)
- ``actions`` and ``suggested_actions``: ``[{"action_name": str, "due_date": ISO-8601 str with
  offset | None, "description": str, "reasoning": str, "signals": [str]}]``
- ``sentiment``: ``{"overall": float -1..1, "label": "positive" | "neutral" | "negative",
  "seller": float | None, "buyer": float | None}``
- ``talk_ratio``: ``{"seller": float, "buyer": float}`` (fractions of talk time) or None
- ``longest_monologue``: ``{"role": str, "seconds": float}`` or None
- ``speaker_roles``: ``{speaker label: "seller" | "buyer" | "unknown"}``
- ``performance``: ``{<each of meetings.models.PERFORMANCE_METRICS>: {"score": 0..10 (number,
  always present), "reason": str naming the evidence},
  "product_details_analysis": dict, "objection_handling_analysis": dict,
  "overall_performance_summary": dict}``
- ``buyer_profile``: ``{"risks": [...same as risks], "products_discussed": [{"product_name",
  "product_id", "interest_level"}], "key_highlights": [str]}``
- ``provider``: str, the name of the provider that produced it.

Providers return the dict already checked by ``pipeline.analysis.schema.validate_analysis`` (which
also normalises enum spelling and due dates). ``pipeline.analysis.offline.OfflineAnalyser`` (the
default, no network) and ``pipeline.analysis.llm.LLMAnalyser`` (an OpenAI-compatible chat model,
falling back to the offline analyser) implement it.

A transcript segment is ``{"speaker": str, "role": "seller" | "buyer" | "unknown", "text": str,
"translation": str | None, "confidence": float | None, "start": float, "end": float}`` (seconds).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from meetings.models import DEAL_STAGES

__all__ = ["DEAL_STAGES", "RISK_KINDS", "AnalysisContext", "AnalysisProvider", "InvalidAnalysis"]

# "need": the buyer says they do not need the product (the dev corpus's "no need" objection).
RISK_KINDS = ("price", "timing", "competitor", "trust", "need")


class InvalidAnalysis(ValueError):
    """A provider's output does not match the schema above."""


@dataclass(frozen=True)
class AnalysisContext:
    call_start: datetime  # timezone-aware; due dates resolve relative to it
    timezone: str  # the agency's IANA timezone name
    agency_name: str = ""
    agency_description: str = ""
    # The agency's industry ("insurance", "real estate", "education / coaching", ...): picks the
    # built-in competitor list; when empty it is inferred from the catalogue and description.
    industry: str = ""
    seller_name: str = ""
    buyer_name: str = ""
    # [{"id": str, "name": str, "description": str, "features": [{"name": str, ...}]}]
    products: list[dict[str, Any]] = field(default_factory=list)
    # The agency's keyword trackers, e.g. {"competitors": ["Star Health"], "pricing": ["discount"]}
    keyword_trackers: dict[str, list[str]] = field(default_factory=dict)
    # Summaries of earlier meetings with the same buyer, oldest first.
    previous_summaries: list[str] = field(default_factory=list)
    # The agency's own personal-data patterns (chirpworks.redaction), removed before an LLM call.
    pii_patterns: tuple[str, ...] = ()


class AnalysisProvider(Protocol):
    name: str

    def analyse(
        self, *, segments: list[dict[str, Any]], context: AnalysisContext
    ) -> dict[str, Any]: ...
