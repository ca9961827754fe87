"""Personal data is redacted from the search index and from what search sends out (the answer
LLM, an external embeddings API). The stored transcript stays whole.

Local fake OpenAI-compatible servers (127.0.0.1) record what they were sent; the assertions are
on that. The calls with personal data are the analysis tests' (``pipeline/tests``).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from meetings.tests.meeting_factories import make_buyer, make_meeting, transcript
from pipeline.tests import test_pii_outgoing as analysis_pii
from pipeline.tests.test_pii_outgoing import AADHAAR, LINES, SECRETS, _assert_clean
from search.embeddings import OpenAICompatibleEmbeddings
from search.index import search_index_rebuild_agency
from search.models import SearchDocument
from search.tests import test_openai
from search.tests.test_openai import _base_url

# The fake OpenAI-compatible server of the search tests and the analysis tests' calls with
# personal data, reused as they are.
fake_openai = test_openai.fake_openai
pii_agency = analysis_pii.pii_agency
pii_meeting = analysis_pii.pii_meeting

pytestmark = pytest.mark.django_db


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
