"""The LLM analyser against a real OpenAI-compatible HTTP server on 127.0.0.1 (http.server)."""

import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.analysis import _provider as provider_cache
from pipeline.analysis import get_analysis_provider
from pipeline.analysis.base import DEAL_STAGES
from pipeline.analysis.corpus import call_context, call_segments, load_corpus, product_id
from pipeline.analysis.llm import CircuitBreaker, LLMAnalyser
from pipeline.analysis.offline import OfflineAnalyser

CORPUS = load_corpus()
CALL = CORPUS["calls"][0]  # d1: Term Shield, seller Priya, buyer Arjun, 2026-11-09 10:30 IST

METRIC = {"score": 8, "reason": "Greeted Arjun and named the agency"}
GOOD_REPLY = {
    "call_title": "Term Shield quote for Arjun",
    "call_summary": {
        "bullets": ["Arjun wants a one crore cover for twenty years", "Quotes to follow"],
        "key_discussion_points": ["Premium", "Critical illness rider"],
    },
    "call_type": "sales_call",
    "detected_call_type": "new_enquiry",
    # The model invents an id and lower-cases the name: the catalogue's id must win.
    "detected_products": [
        {
            "product_name": "term shield",
            "product_id": "made-up-id",
            "features": ["critical illness rider"],
            "mentions": 2,
            "interest_level": "High",
        }
    ],
    "qa_pairs": [{"question": "What would the premium be?", "answer": "About 12000 a year."}],
    "facts": [{"subject": "Arjun", "predicate": "wants", "object": "a one crore cover"}],
    "deal_stage": {
        "deal_stage": "Discovery & Lead Qualification",
        "stage_signals": ["You asked about Term Shield."],
        "stage_reasoning": ["Early enquiry"],
    },
    "risks": [],
    "actions": [
        {
            "action_name": "Email both quotes",
            "due_date": "2026-11-11T18:00:00+05:30",
            "description": "With and without the rider",
            "reasoning": "Seller committed",
            "signals": ["I will email both quotes by the day after tomorrow."],
        },
        {"action_name": "Call Arjun", "due_date": "Friday", "description": ["Follow up"]},
    ],
    "suggested_actions": [{"action_name": "Share rider brochure", "due_date": None}],
    "speaker_roles": {"seller": "seller", "buyer": "buyer"},
    "performance": {
        name: METRIC
        for name in (
            "intro",
            "rapport_building",
            "need_realization",
            "script_adherance",
            "objection_handling",
            "pricing_and_negotiation",
            "closure_and_next_steps",
            "conversation_structure_and_flow",
        )
    },
}


class FakeLLM:
    """State of the test server: what it answers, how slowly, and what it was sent."""

    def __init__(self) -> None:
        self.content = json.dumps(GOOD_REPLY)
        self.status = 200
        self.delay = 0.0
        self.requests: list[dict] = []
        self.url = ""


@pytest.fixture
def llm_server():
    state = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            state.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            if state.delay:
                time.sleep(state.delay)
            if state.status != 200:
                payload = {"error": {"message": "overloaded", "type": "server_error"}}
            else:
                payload = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": state.content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
            data = json.dumps(payload).encode()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and went away: that is the point of the test

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield state
    server.shutdown()
    server.server_close()


def make_analyser(server: FakeLLM, **kwargs) -> LLMAnalyser:
    options = {
        "base_url": server.url,
        "api_key": "test-key",
        "model": "test-model",
        "timeout": 5.0,
        "max_retries": 0,
        "breaker_failures": 3,
        "breaker_cooldown": 60,
    }
    options.update(kwargs)
    return LLMAnalyser(**options)


def analyse(analyser, call=CALL):
    return analyser.analyse(segments=call_segments(call), context=call_context(CORPUS, call))


def test_good_json_is_validated_and_used(llm_server):
    result = analyse(make_analyser(llm_server))

    assert result["provider"] == "llm"
    assert result["call_title"] == "Term Shield quote for Arjun"
    product = result["detected_products"][0]
    assert product["product_name"] == "Term Shield"
    assert product["product_id"] == product_id("Term Shield")  # the catalogue's, not the model's
    assert product["interest_level"] == "high"
    email, call = result["actions"]
    assert email["due_date"] == "2026-11-11T18:00:00+05:30"
    assert call["due_date"] == "2026-11-13T18:00:00+05:30"  # "Friday" resolved from the call
    assert call["description"] == "Follow up"
    # Timestamps and sentiment are computed locally, exactly as the offline analyser does.
    offline = OfflineAnalyser().analyse(
        segments=call_segments(CALL), context=call_context(CORPUS, CALL)
    )
    assert result["talk_ratio"] == offline["talk_ratio"]
    assert result["longest_monologue"] == offline["longest_monologue"]
    assert result["sentiment"] == offline["sentiment"]
    assert result["buyer_profile"]["products_discussed"] == [
        {
            "product_name": "Term Shield",
            "product_id": product_id("Term Shield"),
            "interest_level": "high",
        }
    ]

    (request,) = llm_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer test-key"
    body = request["body"]
    assert body["model"] == "test-model"
    assert body["response_format"] == {"type": "json_object"}
    system, user = body["messages"]
    assert all(stage in system["content"] for stage in DEAL_STAGES)
    assert '"call_title"' in system["content"]  # the JSON Schema is in the prompt
    assert "2026-11-09T10:30:00+05:30 (Monday)" in system["content"]
    assert "(seller): Hello Arjun, this is Priya from SecureLife Insurance." in user["content"]
    assert "Term Shield" in user["content"]


@pytest.mark.parametrize(
    "content",
    [
        "Sure! The call was about Term Shield.",  # not JSON
        "[1, 2, 3]",  # JSON but not an object
        json.dumps({**GOOD_REPLY, "deal_stage": {"deal_stage": "Almost there"}}),
        json.dumps(
            {
                **GOOD_REPLY,
                "performance": {
                    **GOOD_REPLY["performance"],
                    "intro": {"score": 15, "reason": "great"},
                },
            }
        ),
        json.dumps({**GOOD_REPLY, "actions": [{"action_name": "x", "due_date": "someday"}]}),
        json.dumps({k: v for k, v in GOOD_REPLY.items() if k != "call_title"}),
    ],
    ids=["prose", "array", "bad-stage", "score-15", "bad-due-date", "no-title"],
)
def test_invalid_output_falls_back_to_offline(llm_server, content):
    llm_server.content = content
    analyser = make_analyser(llm_server)

    result = analyse(analyser)

    assert result["provider"] == "offline"
    assert result["call_title"] == "Term Shield enquiry with Arjun"
    assert len(llm_server.requests) == 1
    assert analyser.breaker.failures() == 0  # the service answered: no reason to stop calling it


def test_server_error_is_retried_then_falls_back(llm_server):
    llm_server.status = 500
    analyser = make_analyser(llm_server, max_retries=1)

    result = analyse(analyser)

    assert result["provider"] == "offline"
    assert len(llm_server.requests) == 2  # first try + one retry
    assert analyser.breaker.failures() == 1


def test_unreachable_service_falls_back():
    # A port nobody listens on: connection refused, immediately.
    analyser = LLMAnalyser(
        base_url="http://127.0.0.1:9/v1",
        api_key="k",
        model="m",
        timeout=1,
        max_retries=0,
        breaker_failures=1,
        breaker_cooldown=60,
    )

    result = analyse(analyser)

    assert result["provider"] == "offline"
    assert analyser.breaker.is_open()


def test_timeout_retries_then_breaker_opens_and_cools_down(llm_server):
    llm_server.delay = 1.0  # longer than the client's timeout
    analyser = make_analyser(
        llm_server, timeout=0.3, max_retries=1, breaker_failures=2, breaker_cooldown=1.5
    )

    assert analyse(analyser)["provider"] == "offline"
    assert len(llm_server.requests) == 2  # timed out, retried once, timed out again
    assert not analyser.breaker.is_open()

    assert analyse(analyser)["provider"] == "offline"
    assert len(llm_server.requests) == 4
    assert analyser.breaker.is_open()  # two consecutive failures

    assert analyse(analyser)["provider"] == "offline"
    assert len(llm_server.requests) == 4  # an open breaker never asks the service

    # Another worker process with its own client sees the same (cache-shared) breaker.
    other_worker = make_analyser(
        llm_server, timeout=0.3, max_retries=1, breaker_failures=2, breaker_cooldown=1.5
    )
    assert analyse(other_worker)["provider"] == "offline"
    assert len(llm_server.requests) == 4

    llm_server.delay = 0.0  # the service recovers
    time.sleep(1.6)  # the cool-down passes
    assert analyse(analyser)["provider"] == "llm"  # half-open probe succeeds
    assert len(llm_server.requests) == 5
    assert analyser.breaker.failures() == 0 and not analyser.breaker.is_open()


def test_breaker_half_open_allows_one_probe_and_reopens_on_failure():
    breaker = CircuitBreaker(key="test:breaker", failures=2, cooldown=0.4)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.allow()  # one failure is not enough
    breaker.record_failure()
    assert not breaker.allow()

    time.sleep(0.45)
    assert breaker.allow()  # this caller probes
    assert not breaker.allow()  # everyone else waits for the probe
    breaker.record_failure()  # the probe failed: open again for a full cool-down
    assert breaker.is_open() and not breaker.allow()

    time.sleep(0.45)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.allow() and breaker.allow() and breaker.failures() == 0


def test_success_resets_the_failure_count(llm_server):
    analyser = make_analyser(llm_server, breaker_failures=2)
    analyser.breaker.record_failure()

    assert analyse(analyser)["provider"] == "llm"
    assert analyser.breaker.failures() == 0


def test_provider_is_selected_and_configured_by_settings(llm_server, settings):
    settings.ANALYSIS_PROVIDER = "pipeline.analysis.llm.LLMAnalyser"
    settings.LLM_BASE_URL = llm_server.url
    settings.LLM_API_KEY = "from-settings"
    settings.LLM_MODEL = "settings-model"
    settings.LLM_MAX_RETRIES = 0
    provider_cache.cache_clear()
    try:
        provider = get_analysis_provider()
        result = analyse(provider)
    finally:
        provider_cache.cache_clear()

    assert isinstance(provider, LLMAnalyser)
    assert result["provider"] == "llm"
    assert llm_server.requests[0]["auth"] == "Bearer from-settings"
    assert llm_server.requests[0]["body"]["model"] == "settings-model"


def test_reply_in_a_code_fence_with_legacy_action_keys_is_accepted(llm_server):
    reply = copy.deepcopy(GOOD_REPLY)
    reply["actions"] = [{"action_name": "Send quote", "action_due_date": "tomorrow evening"}]
    reply["call_summary"] = ["One", "Two", "Three", "Four", "Five", "Six"]
    llm_server.content = "```json\n" + json.dumps(reply) + "\n```"

    result = analyse(make_analyser(llm_server))

    assert result["provider"] == "llm"
    assert result["actions"][0]["due_date"] == "2026-11-10T18:00:00+05:30"
    assert result["call_summary"]["bullets"] == ["One", "Two", "Three", "Four", "Five"]


def test_the_additions_owner_condition_and_competitors_are_accepted(llm_server):
    reply = copy.deepcopy(GOOD_REPLY)
    reply["actions"][0]["owner"] = "seller"
    reply["actions"][1]["owner"] = "Customer"
    reply["actions"][1]["conditional"] = "if the quote suits him"
    reply["competitors"] = [{"name": "LIC", "said_by": ["buyer"], "signals": ["LIC is cheaper"]}]
    llm_server.content = json.dumps(reply)

    result = analyse(make_analyser(llm_server))

    assert result["provider"] == "llm"
    assert [a["owner"] for a in result["actions"]] == ["seller", "buyer"]
    assert result["actions"][1]["conditional"] == "if the quote suits him"
    assert result["competitors"][0]["name"] == "LIC"
    assert result["objections"] == [
        {"type": r["risk"], "signal": r["risk_signal"]} for r in result["risks"]
    ]
    assert result["transcript_quality"] is not None  # computed locally
    system = llm_server.requests[0]["body"]["messages"][0]["content"]
    assert "owner is seller, buyer or other" in system and '"owner"' in system
