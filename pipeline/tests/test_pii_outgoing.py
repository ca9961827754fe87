"""Personal data is redacted from every copy of a transcript that leaves the process.

Local fake OpenAI-compatible servers (127.0.0.1) record what they were sent; the assertions are
on that. The stored transcript stays whole.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from model_bakery import baker

from meetings.models import Job, SearchDocument
from meetings.search.embeddings import OpenAICompatibleEmbeddings
from meetings.search.index import search_index_rebuild_agency
from meetings.tests import test_search_openai
from meetings.tests.search_factories import make_buyer, make_meeting, transcript
from meetings.tests.test_search_openai import _base_url
from pipeline.analysis import _provider as analysis_provider_cache
from pipeline.processing import job_analyse
from pipeline.tests import test_analysis_llm

# The fake OpenAI-compatible servers of the LLM and search tests, reused as they are.
llm_server = test_analysis_llm.llm_server
fake_openai = test_search_openai.fake_openai

pytestmark = pytest.mark.django_db

AADHAAR = "2341 2341 2346"
SECRETS = {
    "aadhaar": AADHAAR,
    "pan": "ABCPE1234F",
    "card": "4111 1111 1111 1111",
    "account": "5010 0123 4567 9",
    "ifsc": "HDFC0001234",
    "phone": "98123 45678",
    "email": "arjun.mehta@example.com",
    "policy": "POL-2024-889911",
}
LINES = (
    ("buyer", f"My Aadhaar is {AADHAAR} and PAN {SECRETS['pan']}."),
    ("buyer", f"Debit the card {SECRETS['card']}, or account {SECRETS['account']}."),
    ("seller", f"Noted, IFSC {SECRETS['ifsc']}. I will call you on {SECRETS['phone']}."),
    ("buyer", f"Email me at {SECRETS['email']} about policy {SECRETS['policy']}."),
    ("seller", "Sure, the premium is 12000 a year for the Term Shield plan."),
)


def _assert_clean(sent: str) -> None:
    for kind, value in SECRETS.items():
        assert value not in sent, kind
        assert value.replace(" ", "") not in sent, kind


@pytest.fixture
def pii_agency(agency):
    agency.settings = {"pii_patterns": [r"POL-\d{4}-\d{6}"]}
    agency.save()
    return agency


@pytest.fixture
def pii_meeting(pii_agency, seller):
    return make_meeting(
        seller,
        start=timezone.now() - timedelta(days=1),
        transcription=transcript(*LINES),
        title="Term Shield follow-up",
    )


def test_the_llm_analyser_receives_a_redacted_transcript(pii_meeting, llm_server, settings):
    settings.ANALYSIS_PROVIDER = "pipeline.analysis.llm.LLMAnalyser"
    settings.LLM_BASE_URL = llm_server.url
    settings.LLM_MAX_RETRIES = 0
    analysis_provider_cache.cache_clear()
    try:
        segments = [dict(s) for s in pii_meeting.transcription]
        job = baker.make(Job, meeting=pii_meeting)
        job_analyse(job=job, segments=segments)
    finally:
        analysis_provider_cache.cache_clear()

    assert len(llm_server.requests) == 1
    sent = llm_server.requests[0]["body"]["messages"][1]["content"]
    _assert_clean(sent)
    for label in ("[AADHAAR]", "[PAN]", "[CARD]", "[ACCOUNT]", "[IFSC]", "[PHONE]", "[EMAIL]"):
        assert label in sent
    assert "[REDACTED]" in sent  # the agency's own policy-number pattern
    assert "premium is 12000 a year for the Term Shield plan" in sent  # the rest is intact
    # What we keep is whole: the segments given and the meeting's stored transcript.
    assert segments[0]["text"] == LINES[0][1]
    pii_meeting.refresh_from_db()
    assert [s["text"] for s in pii_meeting.transcription] == [line for _, line in LINES]


def test_the_search_index_holds_no_personal_data_from_calls(pii_meeting, pii_agency):
    search_index_rebuild_agency(agency_id=pii_agency.pk)
    texts = list(
        SearchDocument.objects.filter(meeting_id=pii_meeting.pk).values_list("text", flat=True)
    )
    assert texts
    _assert_clean(" ".join(texts))
    assert any("[AADHAAR]" in t for t in texts)
    pii_meeting.refresh_from_db()
    assert pii_meeting.transcription[0]["text"] == LINES[0][1]


def test_search_answers_send_redacted_passages(
    pii_meeting, pii_agency, fake_openai, settings, client_for, seller
):
    settings.SEARCH_LLM_BASE_URL = _base_url(fake_openai)
    settings.SEARCH_LLM_MODEL = "test-chat"
    buyer = make_buyer(pii_agency, name="", email="buyer@example.com")
    make_meeting(
        seller,
        buyer=buyer,
        start=timezone.now() - timedelta(days=2),
        transcription=transcript(("buyer", "What is the premium for my card 4111 1111 1111 1111?")),
    )
    search_index_rebuild_agency(agency_id=pii_agency.pk)
    response = client_for(seller).post(
        "/api/search/answer",
        {"query": "what did the buyer say about the premium card?"},
        format="json",
    )
    assert response.status_code == 200
    chats = [body for path, body, _ in fake_openai.requests if path == "/v1/chat/completions"]
    assert chats
    sent = chats[-1]["messages"][1]["content"]
    _assert_clean(sent)
    assert buyer.phone[3:] not in sent and "buyer@example.com" not in sent


def test_external_embeddings_receive_redacted_text(fake_openai):
    provider = OpenAICompatibleEmbeddings(base_url=_base_url(fake_openai), model="emb")
    provider.embed([f"call me on {SECRETS['phone']}", f"aadhaar {AADHAAR}", "plain words"])
    ((_, body, _),) = fake_openai.requests
    assert body["input"] == ["call me on [PHONE]", "aadhaar [AADHAAR]", "plain words"]


def test_agency_settings_refuse_a_broken_pattern(agency):
    agency.settings = {"pii_patterns": ["(unclosed"]}
    with pytest.raises(ValidationError):
        agency.full_clean()
    agency.settings = {"pii_patterns": [r"POL-\d+"], "guests_can_search_answer": "yes"}
    with pytest.raises(ValidationError):
        agency.full_clean()
