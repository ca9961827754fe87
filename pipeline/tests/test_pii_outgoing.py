"""Personal data is redacted from every copy of a transcript that leaves the process (the analysis
LLM here; the search index, answers and embeddings in ``search/tests/test_pii_outgoing.py``).

Local fake OpenAI-compatible servers (127.0.0.1) record what they were sent; the assertions are
on that. The stored transcript stays whole.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from model_bakery import baker

from meetings.models import Job
from meetings.tests.meeting_factories import make_meeting, transcript
from pipeline.analysis import _provider as analysis_provider_cache
from pipeline.processing import job_analyse
from pipeline.tests import test_analysis_llm

# The fake OpenAI-compatible server of the LLM tests, reused as it is.
llm_server = test_analysis_llm.llm_server

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


def test_agency_settings_refuse_a_broken_pattern(agency):
    agency.settings = {"pii_patterns": ["(unclosed"]}
    with pytest.raises(ValidationError):
        agency.full_clean()
    agency.settings = {"pii_patterns": [r"POL-\d+"], "guests_can_search_answer": "yes"}
    with pytest.raises(ValidationError):
        agency.full_clean()
