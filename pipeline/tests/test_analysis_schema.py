"""validate_analysis: what it accepts, what it normalises, what it refuses."""

import copy

import pytest

from meetings.models import PERFORMANCE_METRICS
from pipeline.analysis.base import DEAL_STAGES, RISK_KINDS, InvalidAnalysis
from pipeline.analysis.corpus import call_context, call_segments, load_corpus
from pipeline.analysis.offline import OfflineAnalyser
from pipeline.analysis.schema import (
    LLM_COMPUTED_FIELDS,
    llm_json_schema,
    validate_analysis,
)

BASE_KEYS = {
    "call_title",
    "call_summary",
    "call_type",
    "detected_call_type",
    "detected_products",
    "qa_pairs",
    "facts",
    "deal_stage",
    "risks",
    "actions",
    "suggested_actions",
    "sentiment",
    "talk_ratio",
    "longest_monologue",
    "speaker_roles",
    "performance",
    "buyer_profile",
    "provider",
}
# Issue 13's additions (additive: every base key keeps its shape).
ADDED_KEYS = {"objections", "competitors", "transcript_quality"}


def minimal() -> dict:
    return {
        "call_title": "Call",
        "call_summary": {"bullets": ["A"], "key_discussion_points": []},
        "deal_stage": {"deal_stage": DEAL_STAGES[0], "stage_signals": [], "stage_reasoning": []},
        "sentiment": {"overall": 0.1, "label": "positive", "seller": None, "buyer": None},
        "performance": {name: {"score": 5, "reason": "r"} for name in PERFORMANCE_METRICS},
        "provider": "test",
    }


@pytest.fixture(scope="module")
def offline_result() -> dict:
    corpus = load_corpus()
    call = corpus["calls"][1]
    return OfflineAnalyser().analyse(
        segments=call_segments(call), context=call_context(corpus, call)
    )


def test_offline_output_is_valid_and_stable(offline_result):
    assert set(offline_result) == BASE_KEYS | ADDED_KEYS
    assert validate_analysis(copy.deepcopy(offline_result)) == offline_result


def test_minimal_analysis_gets_defaults_and_a_derived_buyer_profile():
    data = minimal()
    data["risks"] = [{"risk": "price", "risk_signal": "Too costly"}]
    data["detected_products"] = [{"product_name": "Term Shield", "interest_level": "low"}]

    result = validate_analysis(data)

    assert set(result) == BASE_KEYS | ADDED_KEYS
    assert result["objections"] == [{"type": "price", "signal": "Too costly"}]
    assert result["competitors"] == [] and result["transcript_quality"] is None
    assert result["call_type"] == result["detected_call_type"] == "sales_call"
    assert result["qa_pairs"] == result["facts"] == result["actions"] == []
    assert result["talk_ratio"] is None and result["longest_monologue"] is None
    assert result["buyer_profile"] == {
        "risks": [{"risk": "price", "risk_signal": "Too costly", "risk_reasoning": ""}],
        "products_discussed": [
            {"product_name": "Term Shield", "product_id": None, "interest_level": "low"}
        ],
        "key_highlights": ["A"],
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("negotiation", "Negotiation / Approval"),
        ("NEGOTIATION / APPROVAL", "Negotiation / Approval"),
        ("solution presentation/demo", "Solution Presentation / Demo"),
        ("Demo", "Solution Presentation / Demo"),
        ("likely won", "Likely Won"),
        ("Discovery and Lead Qualification", "Discovery & Lead Qualification"),
    ],
)
def test_deal_stage_spelling_is_normalised(given, expected):
    data = minimal()
    data["deal_stage"] = {"deal_stage": given}
    assert validate_analysis(data)["deal_stage"]["deal_stage"] == expected


def test_safe_normalisations():
    data = minimal()
    data["call_summary"] = [" one ", "two", "three", "four", "five", "six", "seven"]
    data["key_discussion_points"] = ["price"]  # the contract keeps it at the top level
    data["deal_stage"] = "likely lost"
    data["risks"] = [
        {"risk": "Pricing", "risk_signal": "costly"},
        {"risk": "Competition", "risk_signal": "X is cheaper"},
    ]
    data["detected_products"] = [{"product_name": "P", "interest_level": "HIGH", "features": "f"}]
    data["performance"]["intro"] = {"score": "7.5", "reason": "named the agency"}
    data["actions"] = [
        {"action_name": " Send quote ", "due_date": "Not Specified", "description": ["a", "b"]},
        {"action_name": "Call", "due_date": "2026-11-13T18:00:00"},
        {"action_name": "Visit", "due_date": "2026-11-14"},
        {"action_name": "Mail", "due_date": "2026-11-13T12:30:00Z"},
    ]
    data["speaker_roles"] = {"SPEAKER_00": "Seller"}

    result = validate_analysis(data, timezone="Asia/Kolkata")

    assert result["call_summary"] == {
        "bullets": ["one", "two", "three", "four", "five"],
        "key_discussion_points": ["price"],
    }
    assert result["deal_stage"]["deal_stage"] == "Likely Lost"
    assert [r["risk"] for r in result["risks"]] == ["price", "competitor"]
    assert result["detected_products"][0]["interest_level"] == "high"
    assert result["detected_products"][0]["features"] == ["f"]
    assert result["performance"]["intro"]["score"] == 7.5
    send, call, visit, mail = result["actions"]
    assert send["action_name"] == "Send quote"
    assert send["due_date"] is None
    assert send["description"] == "a b"
    assert call["due_date"] == "2026-11-13T18:00:00+05:30"  # local time of the agency
    assert visit["due_date"] == "2026-11-14T18:00:00+05:30"  # a bare date: end of working day
    assert mail["due_date"] == "2026-11-13T12:30:00+00:00"
    assert result["speaker_roles"] == {"SPEAKER_00": "seller"}


def _set(path: str, value):
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("deal_stage.deal_stage", "Maybe later"), "deal_stage.deal_stage"),
        (_set("performance.intro", {"score": 11, "reason": "x"}), "performance.intro.score"),
        (_set("performance.intro", {"score": -1, "reason": "x"}), "performance.intro.score"),
        (_set("performance.intro", {"score": True, "reason": "x"}), "performance.intro.score"),
        (_set("performance.intro", {"score": 5, "reason": ""}), "performance.intro.reason"),
        (lambda d: d["performance"].pop("script_adherance"), "performance.script_adherance"),
        (lambda d: d.pop("call_title"), "call_title"),
        (_set("call_title", ""), "call_title"),
        (_set("call_title", "x" * 301), "call_title"),
        (_set("risks", [{"risk": "weather", "risk_signal": "rain"}]), "risks.0.risk"),
        (_set("risks", [{"risk": "price"}]), "risks.0.risk_signal"),
        (
            _set("detected_products", [{"product_name": "P", "interest_level": "very high"}]),
            "detected_products.0.interest_level",
        ),
        (_set("actions", [{"action_name": "", "due_date": None}]), "actions.0.action_name"),
        (_set("actions", [{"action_name": "a", "due_date": "next Friday"}]), "actions.0.due_date"),
        (
            _set("actions", [{"action_name": "a", "due_date": "2026-11-13T18:00:00"}]),
            "actions.0.due_date",  # no offset and no timezone to read it in
        ),
        (_set("actions", [{"action_name": "a", "due_date": 20261113}]), "actions.0.due_date"),
        (_set("talk_ratio", {"seller": 1.5, "buyer": 0.2}), "talk_ratio.seller"),
        (_set("sentiment", {"overall": 2, "label": "positive"}), "sentiment.overall"),
        (_set("speaker_roles", {"S0": "host"}), "speaker_roles.S0"),
        (_set("call_summary", {"bullets": "x", "key_discussion_points": 5}), "call_summary"),
        (_set("qa_pairs", [{"answer": "yes"}]), "qa_pairs.0.question"),
    ],
)
def test_invalid_analyses_are_refused_naming_the_field(change, field):
    data = minimal()
    change(data)
    with pytest.raises(InvalidAnalysis) as error:
        validate_analysis(data)
    assert field in str(error.value)


@pytest.mark.parametrize("value", [None, [], "text", 5])
def test_non_objects_are_refused(value):
    with pytest.raises(InvalidAnalysis):
        validate_analysis(value)


def test_error_message_carries_no_input_values():
    data = minimal()
    data["deal_stage"] = {"deal_stage": "<script>secret</script>"}
    with pytest.raises(InvalidAnalysis) as error:
        validate_analysis(data)
    assert "secret" not in str(error.value)


def test_llm_schema_asks_for_model_fields_only():
    schema = llm_json_schema()
    assert not set(LLM_COMPUTED_FIELDS) & set(schema["properties"])
    assert {"call_title", "deal_stage", "actions", "performance"} <= set(schema["required"])
    assert schema["$defs"]["DealStage"]["properties"]["deal_stage"]["enum"] == list(DEAL_STAGES)
    assert schema["$defs"]["Risk"]["properties"]["risk"]["enum"] == list(RISK_KINDS)


def test_action_owner_and_condition_are_additive_and_normalised():
    data = minimal()
    data["actions"] = [
        {"action_name": "Send the quote", "owner": "Customer", "conditional": "if approved"},
        {"action_name": "Visit the site", "owner": "third party"},
        {"action_name": "Call back"},
    ]
    actions = validate_analysis(data)["actions"]
    assert [a["owner"] for a in actions] == ["buyer", "other", None]
    assert actions[0]["conditional"] == "if approved"
    data["actions"] = [{"action_name": "Send the quote", "owner": "the moon"}]
    with pytest.raises(InvalidAnalysis, match="owner"):
        validate_analysis(data)


def test_competitors_and_typed_objections_are_validated():
    data = minimal()
    data["competitors"] = [{"name": "Allen", "said_by": "buyer", "signals": ["joined Allen"]}]
    data["objections"] = [{"type": "Pricing", "signal": "Too costly"}]
    result = validate_analysis(data)
    assert result["competitors"] == [
        {"name": "Allen", "mentions": 1, "said_by": ["buyer"], "signals": ["joined Allen"]}
    ]
    assert result["objections"] == [{"type": "price", "signal": "Too costly"}]
    data["objections"] = [{"type": "weather", "signal": "Rain"}]
    with pytest.raises(InvalidAnalysis, match="objections"):
        validate_analysis(data)
