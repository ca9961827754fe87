"""Validation of a provider's analysis against the schema in ``base.py`` (pydantic v2).

``validate_analysis(data)`` returns a clean dict (JSON types only, keys in a fixed order) or
raises ``InvalidAnalysis`` naming the offending fields. It normalises only where the meaning is
unambiguous: whitespace, the case and spacing of enum values and a few synonyms ("Pricing" ->
"price", "negotiation" -> "Negotiation / Approval"), numbers sent as strings, a list where one
string was expected (and the reverse), "Not Specified" / "" due dates -> None, a summary given as a
plain list of bullets, more than five bullets (the first five are kept), and the buyer profile
derived from risks and products when a provider leaves it out. Anything else — an unknown deal
stage, a score outside 0-10, a due date that is not ISO-8601 with an offset, a missing title —
is rejected.

The same models give the JSON Schema that the LLM provider puts in its prompt
(``llm_json_schema``), so the prompt and the validation cannot drift apart.
"""

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from pipeline.analysis.base import DEAL_STAGES, RISK_KINDS, InvalidAnalysis
from pipeline.analysis.dates import DEFAULT_DUE_TIME

INTEREST_LEVELS = ("high", "medium", "low")
ROLES = ("seller", "buyer", "unknown")
MAX_BULLETS = 5
_PLACEHOLDERS = {"", "not specified", "none", "null", "n/a", "na", "unknown", "tbd"}
_RISK_ALIASES = {
    "pricing": "price",
    "cost": "price",
    "budget": "price",
    "fee": "price",
    "competition": "competitor",
    "competitors": "competitor",
    "time": "timing",
    "schedule": "timing",
    "credibility": "trust",
    "no need": "need",
    "not interested": "need",
}


def _key(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", value.casefold().replace("&", " and ")).strip()


_STAGE_KEYS = {_key(stage): stage for stage in DEAL_STAGES}
for _stage in DEAL_STAGES:  # each half of a two-part name is unambiguous: "demo", "negotiation"
    for _part in re.split(r"\s*(?:/|&)\s*", _stage):
        _STAGE_KEYS.setdefault(_key(_part), _stage)


def _enum(choices: tuple[str, ...], aliases: dict[str, str] | None = None):
    def normalise(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        key = _key(value)
        for choice in choices:
            if _key(choice) == key:
                return choice
        return (aliases or {}).get(key, value)

    return BeforeValidator(normalise)


def _stage(value: Any) -> Any:
    return _STAGE_KEYS.get(_key(value), value) if isinstance(value, str) else value


def _str_list(value: Any) -> Any:
    """One string where a list of strings is expected becomes a one-item list; blanks drop."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [item.strip() if isinstance(item, str) else item for item in value if item != ""]
    return value


def _text(value: Any) -> Any:
    """A list of strings where one string is expected is joined (LLMs send description lists)."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return " ".join(item.strip() for item in value if item.strip())
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"]
    return value


Text = Annotated[str, BeforeValidator(_text)]
NonEmpty = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
StrList = Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_str_list)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CallSummary(_Model):
    bullets: StrList = Field(max_length=MAX_BULLETS)
    key_discussion_points: StrList = Field(default_factory=list)

    @field_validator("bullets", mode="before")
    @classmethod
    def _at_most_five(cls, value: Any) -> Any:
        value = _str_list(value)
        return value[:MAX_BULLETS] if isinstance(value, list) else value


class DetectedProduct(_Model):
    product_id: str | None = None
    product_name: NonEmpty
    features: StrList = Field(default_factory=list)
    mentions: int = Field(default=1, ge=0)
    # None: no opinion (a worker may leave it out); readers then go by how often it came up
    interest_level: Annotated[Literal["high", "medium", "low"], _enum(INTEREST_LEVELS)] | None = (
        None
    )


class QAPair(_Model):
    question: NonEmpty
    answer: Text = ""


class Fact(_Model):
    subject: NonEmpty
    predicate: NonEmpty
    object: NonEmpty


class DealStage(_Model):
    deal_stage: Annotated[Literal[DEAL_STAGES], BeforeValidator(_stage)]  # type: ignore[valid-type]
    stage_signals: StrList = Field(default_factory=list)
    stage_reasoning: StrList = Field(default_factory=list)


class Risk(_Model):
    risk: Annotated[Literal[RISK_KINDS], _enum(RISK_KINDS, _RISK_ALIASES)]  # type: ignore[valid-type]
    risk_signal: NonEmpty
    risk_reasoning: Text = ""


class Objection(_Model):
    """An objection the buyer raised, typed; the same facts as ``risks``, keyed for the API."""

    type: Annotated[Literal[RISK_KINDS], _enum(RISK_KINDS, _RISK_ALIASES)]  # type: ignore[valid-type]
    signal: NonEmpty


class Competitor(_Model):
    name: NonEmpty
    mentions: int = Field(default=1, ge=0)
    said_by: list[Annotated[Literal["seller", "buyer", "unknown"], _enum(ROLES)]] = Field(
        default_factory=list
    )
    signals: StrList = Field(default_factory=list)

    @field_validator("said_by", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class TranscriptQuality(_Model):
    reliable_share: float = Field(ge=0, le=1)
    poor: bool = False


_OWNER_ALIASES = {
    "agent": "seller",
    "sales": "seller",
    "salesperson": "seller",
    "rep": "seller",
    "customer": "buyer",
    "client": "buyer",
    "prospect": "buyer",
    "third party": "other",
    "third_party": "other",
    "someone else": "other",
}
OWNERS = ("seller", "buyer", "other")


class Action(_Model):
    action_name: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=300)]
    due_date: str | None = None
    description: Text = ""
    reasoning: Text = ""
    signals: StrList = Field(default_factory=list)
    # Who is to do it: the seller, the buyer, or a third party (a colleague, a technician, a
    # relative, an accountant, a bank). Additive: older payloads have none.
    owner: Annotated[Literal["seller", "buyer", "other"], _enum(OWNERS, _OWNER_ALIASES)] | None = (
        None
    )
    conditional: str | None = None  # the condition the promise depends on, if any

    @field_validator("due_date", mode="before")
    @classmethod
    def _iso_with_offset(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, str) and value.strip().casefold() in _PLACEHOLDERS):
            return None
        if not isinstance(value, str):
            raise ValueError("due_date must be an ISO-8601 string or null")
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("due_date must be ISO-8601, e.g. 2026-11-13T18:00:00+05:30") from None
        if parsed.tzinfo is None:
            timezone = (info.context or {}).get("timezone")
            if not timezone:
                raise ValueError("due_date must carry a UTC offset")
            if len(value.strip()) == 10:  # a bare date: the end of that working day
                parsed = datetime.combine(parsed.date(), DEFAULT_DUE_TIME)
            parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
        return parsed.isoformat()


Score = Annotated[float, Field(ge=-1, le=1)]


class Sentiment(_Model):
    overall: Score
    label: Annotated[
        Literal["positive", "neutral", "negative"], _enum(("positive", "neutral", "negative"))
    ]
    seller: Score | None = None
    buyer: Score | None = None


class TalkRatio(_Model):
    seller: float = Field(ge=0, le=1)
    buyer: float = Field(ge=0, le=1)


class Monologue(_Model):
    role: NonEmpty
    seconds: float = Field(ge=0)


class Metric(_Model):
    score: float = Field(ge=0, le=10, strict=False)
    reason: NonEmpty

    @field_validator("score", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("score must be a number from 0 to 10")
        return value


class Performance(_Model):
    intro: Metric
    rapport_building: Metric
    need_realization: Metric
    script_adherance: Metric
    objection_handling: Metric
    pricing_and_negotiation: Metric
    closure_and_next_steps: Metric
    conversation_structure_and_flow: Metric
    product_details_analysis: dict[str, Any] = Field(default_factory=dict)
    objection_handling_analysis: dict[str, Any] = Field(default_factory=dict)
    overall_performance_summary: dict[str, Any] = Field(default_factory=dict)


class BuyerProduct(_Model):
    product_name: NonEmpty
    product_id: str | None = None
    interest_level: Annotated[Literal["high", "medium", "low"], _enum(INTEREST_LEVELS)] | None = (
        None
    )


class BuyerProfile(_Model):
    risks: list[Risk] = Field(default_factory=list)
    products_discussed: list[BuyerProduct] = Field(default_factory=list)
    key_highlights: StrList = Field(default_factory=list)


def _analysis_shapes(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    data = dict(data)
    summary = data.get("call_summary")
    if isinstance(summary, list | str):  # the descriptive prompt's plain list of bullets
        summary = {"bullets": summary}
    if isinstance(summary, dict) and "key_discussion_points" in data:
        summary = {"key_discussion_points": data.pop("key_discussion_points"), **summary}
    if summary is not None:
        data["call_summary"] = summary
    if isinstance(data.get("deal_stage"), str):
        data["deal_stage"] = {"deal_stage": data["deal_stage"]}
    return data


class Analysis(_Model):
    call_title: Annotated[str, Field(min_length=1, max_length=300)]
    call_summary: CallSummary
    call_type: NonEmpty = "sales_call"
    detected_call_type: NonEmpty | None = None
    detected_products: list[DetectedProduct] = Field(default_factory=list)
    qa_pairs: list[QAPair] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    deal_stage: DealStage
    risks: list[Risk] = Field(default_factory=list)
    objections: list[Objection] | None = None  # derived from risks when left out
    competitors: list[Competitor] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    suggested_actions: list[Action] = Field(default_factory=list)
    sentiment: Sentiment
    talk_ratio: TalkRatio | None = None
    longest_monologue: Monologue | None = None
    speaker_roles: dict[str, Annotated[Literal["seller", "buyer", "unknown"], _enum(ROLES)]] = (
        Field(default_factory=dict)
    )
    performance: Performance
    buyer_profile: BuyerProfile | None = None
    transcript_quality: TranscriptQuality | None = None
    provider: NonEmpty

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        return _analysis_shapes(data)

    @model_validator(mode="after")
    def _derived(self) -> "Analysis":
        if self.objections is None:
            self.objections = [Objection(type=r.risk, signal=r.risk_signal) for r in self.risks]
        if self.detected_call_type is None:
            self.detected_call_type = self.call_type
        if self.buyer_profile is None:
            self.buyer_profile = BuyerProfile(
                risks=self.risks,
                products_discussed=[
                    BuyerProduct(
                        product_name=p.product_name,
                        product_id=p.product_id,
                        interest_level=p.interest_level,
                    )
                    for p in self.detected_products
                ],
                key_highlights=self.call_summary.bullets,
            )
        return self


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:8]:
        where = ".".join(str(piece) for piece in item["loc"]) or "analysis"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def validate_analysis(data: Any, *, timezone: str | None = None) -> dict[str, Any]:
    """The analysis as clean JSON-ready dict, or ``InvalidAnalysis`` saying what is wrong.

    ``timezone`` (the agency's) lets a due date without an offset be read as local time; without
    it such a date is rejected.
    """
    if not isinstance(data, dict):
        raise InvalidAnalysis("analysis must be a JSON object")
    try:
        model = Analysis.model_validate(data, context={"timezone": timezone})
    except ValidationError as error:
        raise InvalidAnalysis(_describe(error)) from None
    return model.model_dump(mode="json")


# The keys an external worker may send to ``PUT /api/meetings/call_data/summary/<id>`` (§4.7).
WORKER_KEYS = (
    "call_title",
    "call_type",
    "detected_call_type",
    "detected_products",
    "call_summary",
    "qa_pairs",
    "facts",
    "deal_stage",
    "risks",
    "actions",
    "suggested_actions",
)


class _AnalysisUpdateBase(_Model):
    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        return _analysis_shapes(data)


def _optional(name: str) -> tuple[Any, None]:
    """``Analysis``'s field ``name``, with its constraints, optional (null is kept as null)."""
    field = Analysis.model_fields[name]
    kind = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return (kind | None, None)


# A worker's update: every key optional, each one sent validated as in a provider's analysis.
AnalysisUpdate = create_model(
    "AnalysisUpdate",
    __base__=_AnalysisUpdateBase,
    **{name: _optional(name) for name in WORKER_KEYS},
)


def validate_analysis_update(data: Any, *, timezone: str = "UTC") -> dict[str, Any]:
    """The keys of a worker's update that it sent, validated and normalised by the provider's
    schema, or ``InvalidAnalysis`` saying what is wrong.

    As the contract says, action items without an ``action_name`` are skipped and naive due
    dates are ``timezone`` (UTC for workers).
    """
    if not isinstance(data, dict):
        raise InvalidAnalysis("analysis must be a JSON object")
    data = {key: value for key, value in data.items() if key in WORKER_KEYS}
    for key in ("actions", "suggested_actions"):
        if isinstance(data.get(key), list):
            data[key] = [
                item
                for item in data[key]
                if not isinstance(item, dict) or str(item.get("action_name") or "").strip()
            ]
    try:
        model = AnalysisUpdate.model_validate(data, context={"timezone": timezone})
    except ValidationError as error:
        raise InvalidAnalysis(_describe(error)) from None
    dumped = model.model_dump(mode="json")
    result = {key: dumped[key] for key in data}
    summary = model.call_summary  # type: ignore[attr-defined]
    if summary is not None and "key_discussion_points" not in summary.model_fields_set:
        result["call_summary"].pop("key_discussion_points")  # not sent: the stored ones stay
    return result


# What the LLM is asked to produce: everything except the figures computed from timestamps.
LLM_COMPUTED_FIELDS = (
    "sentiment",
    "talk_ratio",
    "longest_monologue",
    "provider",
    "buyer_profile",
    "objections",
    "transcript_quality",
)


def llm_json_schema() -> dict[str, Any]:
    schema = Analysis.model_json_schema()
    for name in LLM_COMPUTED_FIELDS:
        schema["properties"].pop(name, None)
    schema["required"] = list(schema["properties"])  # ask for every field, even defaulted ones
    for name in (
        "Sentiment",
        "TalkRatio",
        "Monologue",
        "BuyerProfile",
        "BuyerProduct",
        "Objection",
        "TranscriptQuality",
    ):
        schema.get("$defs", {}).pop(name, None)
    return schema
