"""The LLM analyser: any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, ...) via the
official ``openai`` SDK, asked for one JSON object matching the analysis schema.

The reply is validated with ``schema.validate_analysis`` before it is returned. Figures that come
from timestamps (talk ratio, longest monologue) and the VADER sentiment are computed locally, not
asked of the model. Product ids are taken from the catalogue, never from the model. Any failure —
the service down or slow (after the SDK's own retries with backoff), an error status, a reply that
is not JSON or does not validate — returns the offline analyser's result instead, so a call is
always analysed.

A circuit breaker shared through Django's cache (Redis in a deployment, so all workers see it)
counts consecutive service failures; after ``LLM_BREAKER_FAILURES`` of them it opens for
``LLM_BREAKER_COOLDOWN`` seconds, during which the service is not called at all. After the
cool-down one worker probes it (half-open); success closes the breaker, failure re-opens it.
Invalid output does not trip the breaker: the service answered, the model was wrong.

Settings: ``LLM_BASE_URL`` (empty = the SDK's default), ``LLM_API_KEY``, ``LLM_MODEL``,
``LLM_TIMEOUT`` (seconds per request), ``LLM_MAX_RETRIES``, ``LLM_BREAKER_FAILURES``,
``LLM_BREAKER_COOLDOWN``.
"""

import hashlib
import json
import logging
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

import openai
from django.conf import settings
from django.core.cache import cache
from rapidfuzz import fuzz, process, utils

from chirpworks.openai_client import endpoint_from_settings, openai_client
from chirpworks.redaction import pii_redact, transcript_redact
from pipeline.analysis.base import DEAL_STAGES, RISK_KINDS, AnalysisContext, InvalidAnalysis
from pipeline.analysis.dates import local_base, resolve_due
from pipeline.analysis.offline import OfflineAnalyser
from pipeline.analysis.schema import llm_json_schema, validate_analysis

logger = logging.getLogger(__name__)


class CircuitBreaker:
    """Consecutive-failure breaker whose state lives in Django's cache (shared by processes)."""

    def __init__(self, *, key: str, failures: int, cooldown: float) -> None:
        self.key = key
        self.threshold = max(1, failures)
        self.cooldown = max(0.0, cooldown)
        # Failures older than this are forgotten: "consecutive" means within a working spell.
        self.window = max(600, int(self.cooldown * 4))

    def _k(self, name: str) -> str:
        return f"{self.key}:{name}"

    def failures(self) -> int:
        return int(cache.get(self._k("failures"), 0))

    def is_open(self) -> bool:
        return float(cache.get(self._k("open_until"), 0)) > time.time()

    def allow(self) -> bool:
        """Whether to call the service now."""
        if self.is_open():
            return False
        if self.failures() >= self.threshold:
            # Cool-down over (half-open): one caller across all processes probes the service.
            return cache.add(self._k("probe"), 1, timeout=max(1, int(self.cooldown) or 1))
        return True

    def record_success(self) -> None:
        cache.delete_many([self._k("failures"), self._k("open_until"), self._k("probe")])

    def record_failure(self) -> None:
        cache.add(self._k("failures"), 0, timeout=self.window)
        try:
            count = cache.incr(self._k("failures"))
        except ValueError:  # expired between add and incr
            cache.set(self._k("failures"), 1, timeout=self.window)
            count = 1
        cache.delete(self._k("probe"))
        if count >= self.threshold:
            cache.set(self._k("open_until"), time.time() + self.cooldown, timeout=self.window)
            logger.warning(
                "LLM analysis breaker open for %.0fs after %d failures", self.cooldown, count
            )


# Errors of the service itself (as opposed to a bad reply): connection, timeout, HTTP status.
_SERVICE_ERRORS = (openai.APIConnectionError, openai.APIStatusError)


class LLMAnalyser:
    name = "llm"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        breaker_failures: int | None = None,
        breaker_cooldown: float | None = None,
        fallback: OfflineAnalyser | None = None,
    ) -> None:
        endpoint = endpoint_from_settings(
            "LLM", base_url=base_url, api_key=api_key, model=model, timeout=timeout
        )
        self.model = endpoint.model
        self.client = openai_client(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            timeout=endpoint.timeout,
            max_retries=max_retries if max_retries is not None else settings.LLM_MAX_RETRIES,
        )
        self.fallback = fallback or OfflineAnalyser()
        ident = hashlib.sha256(f"{self.client.base_url}|{self.model}".encode()).hexdigest()[:16]
        self.breaker = CircuitBreaker(
            key=f"analysis:llm-breaker:{ident}",
            failures=breaker_failures
            if breaker_failures is not None
            else settings.LLM_BREAKER_FAILURES,
            cooldown=breaker_cooldown
            if breaker_cooldown is not None
            else settings.LLM_BREAKER_COOLDOWN,
        )

    def analyse(
        self, *, segments: list[dict[str, Any]], context: AnalysisContext
    ) -> dict[str, Any]:
        offline = self.fallback.analyse(segments=segments, context=context)
        if not self.breaker.allow():
            logger.info("LLM analysis skipped: circuit breaker open; using the offline analysis")
            return offline
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=build_messages(**_outgoing(segments=segments, context=context)),
                response_format={"type": "json_object"},
                temperature=0,
            )
        except _SERVICE_ERRORS as error:
            self.breaker.record_failure()
            logger.warning("LLM analysis unavailable (%s); using the offline analysis", error)
            return offline
        self.breaker.record_success()
        try:
            content = response.choices[0].message.content or ""
            data = json.loads(_strip_fences(content))
            if not isinstance(data, dict):
                raise InvalidAnalysis("the reply is not a JSON object")
            return validate_analysis(
                self._complete(data, offline=offline, context=context), timezone=context.timezone
            )
        except (ValueError, IndexError, AttributeError, TypeError) as error:
            # json.JSONDecodeError and InvalidAnalysis are ValueErrors
            logger.warning("LLM analysis invalid (%s); using the offline analysis", error)
            return offline

    def _complete(
        self, data: dict[str, Any], *, offline: dict[str, Any], context: AnalysisContext
    ) -> dict[str, Any]:
        """Add the locally computed figures, and map the model's products and dates safely."""
        data = dict(data)
        for key in ("sentiment", "talk_ratio", "longest_monologue"):
            data[key] = offline[key]
        if not data.get("speaker_roles"):
            data["speaker_roles"] = offline["speaker_roles"]
        data["provider"] = self.name
        data.pop("buyer_profile", None)  # derived from risks and products by the schema
        data.pop("objections", None)  # derived from risks by the schema
        data["transcript_quality"] = offline.get("transcript_quality")
        if not isinstance(data.get("competitors"), list) or not data["competitors"]:
            data["competitors"] = offline.get("competitors", [])
        products = data.get("detected_products")
        if isinstance(products, list):
            data["detected_products"] = [_catalogue_product(p, context) for p in products]
        base = local_base(context.call_start, context.timezone)
        for key in ("actions", "suggested_actions"):
            items = data.get(key)
            if isinstance(items, list):
                data[key] = [_resolve_due(item, base) for item in items]
        return data


def _outgoing(*, segments: list[dict[str, Any]], context: AnalysisContext) -> dict[str, Any]:
    """What may leave the process: the transcript and what came from calls, personal data out."""
    patterns = context.pii_patterns
    return {
        "segments": transcript_redact(segments, patterns=patterns),
        "context": replace(
            context,
            buyer_name=pii_redact(context.buyer_name, patterns=patterns),
            previous_summaries=[
                pii_redact(summary, patterns=patterns) for summary in context.previous_summaries
            ],
        ),
    }


def _strip_fences(content: str) -> str:
    """Some models wrap JSON in a Markdown code fence even in JSON mode."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def _catalogue_product(item: Any, context: AnalysisContext) -> Any:
    """The catalogue's id for the product the model named (fuzzy), or None: ids never come from
    the model."""
    if not isinstance(item, dict) or not isinstance(item.get("product_name"), str):
        return item
    names = {str(p.get("name")): p for p in context.products if p.get("name")}
    match = process.extractOne(
        item["product_name"],
        list(names),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=85,
    )
    item = dict(item)
    if match:
        product = names[match[0]]
        item["product_name"] = match[0]
        item["product_id"] = str(product["id"]) if product.get("id") else None
    else:
        item["product_id"] = None
    return item


def _resolve_due(item: Any, base: datetime) -> Any:
    """A due date the model gave as words ("Friday") is resolved like the offline analyser's."""
    if not isinstance(item, dict):
        return item
    item = dict(item)
    for legacy, key in (("action_due_date", "due_date"), ("suggested_action_due_date", "due_date")):
        if key not in item and legacy in item:
            item[key] = item.pop(legacy)
    if "action_name" not in item and "suggested_action_name" in item:
        item["action_name"] = item.pop("suggested_action_name")
    due = item.get("due_date")
    if isinstance(due, str) and due.strip():
        try:
            datetime.fromisoformat(due.strip())
        except ValueError:
            resolved = resolve_due(due, base=base)
            if resolved is not None:
                item["due_date"] = resolved.isoformat()
    return item


SYSTEM_PROMPT = """You analyse recorded sales calls for a sales team. Reply with ONE JSON object \
and nothing else. It must match this JSON Schema:

{schema}

Rules:
- deal_stage.deal_stage is exactly one of: {stages}; stage_signals quote the sentences that \
show it (a payment, an order or a booking is Likely Won; a refusal or a competitor chosen is \
Likely Lost).
- risks[].risk is one of: {risks} (objections and risks raised by the buyer); risk_signal quotes \
the sentence that shows it.
- actions are the commitments anyone made in the call and the requests agreed (who does what): \
the seller's, the buyer's ("I will pay the token amount by Friday") and a third party's ("our \
technician will visit"); owner is seller, buyer or other (a third party on either side); \
conditional quotes the condition a promise depends on ("if the GM approves"), else null. \
suggested_actions are what the seller should do next that nobody said. action_name is short, \
reads as a person would write it, and is unique within the call.
- competitors: the competing brands named in the call (name, said_by, signals quoting them).
- due_date: ISO-8601 with the UTC offset of {timezone} (e.g. {example}), resolved relative to \
the call's start {start} ({weekday}); null when no time was said.
- detected_products: only products from the catalogue, named exactly as in it; interest_level is \
high, medium or low.
- call_summary.bullets: at most 5 short bullets; key_discussion_points: the topics discussed.
- performance: each of the 8 metrics has score 0-10 and a reason that names the evidence from \
the call.
- speaker_roles maps each speaker label to seller, buyer or unknown.
- Use only what the transcript says; do not invent facts."""


def build_messages(
    *, segments: list[dict[str, Any]], context: AnalysisContext
) -> list[dict[str, str]]:
    base = local_base(context.call_start, context.timezone)
    system = SYSTEM_PROMPT.format(
        schema=json.dumps(llm_json_schema(), separators=(",", ":")),
        stages=" | ".join(DEAL_STAGES),
        risks=" | ".join(RISK_KINDS),
        timezone=context.timezone,
        example=base.replace(hour=18, minute=0, second=0, microsecond=0).isoformat(),
        start=base.isoformat(),
        weekday=base.strftime("%A"),
    )
    about = {
        "agency": {
            "name": context.agency_name,
            "description": context.agency_description,
            "industry": context.industry,
        },
        "seller": context.seller_name,
        "buyer": context.buyer_name,
        "catalogue": [
            {
                "name": p.get("name"),
                "description": p.get("description", ""),
                "features": [
                    f.get("name") if isinstance(f, dict) else f for f in p.get("features") or []
                ],
            }
            for p in context.products
        ],
        "keyword_trackers": context.keyword_trackers,
        "earlier_meetings_with_this_buyer": context.previous_summaries,
    }
    lines = []
    for seg in segments:
        start = float(seg.get("start") or 0)
        stamp = f"{int(start // 60):02d}:{int(start % 60):02d}"
        role = seg.get("role") or "unknown"
        lines.append(f"[{stamp}] {seg.get('speaker') or role} ({role}): {seg.get('text', '')}")
    user = (
        "Context:\n"
        + json.dumps(about, ensure_ascii=False, indent=1)
        + "\n\nTranscript:\n"
        + "\n".join(lines)
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
