"""One OpenAI-compatible client factory, with one placeholder key for servers that need none."""

import re
from pathlib import Path

from chirpworks.openai_client import PLACEHOLDER_API_KEY, openai_client
from pipeline.analysis.llm import LLMAnalyser
from search.embeddings import OpenAICompatibleEmbeddings

ROOT = Path(__file__).resolve().parents[2]


def test_an_empty_key_and_base_url_mean_the_placeholder_and_the_default():
    client = openai_client(base_url="", api_key="", timeout=3, max_retries=0)
    assert client.api_key == PLACEHOLDER_API_KEY
    assert str(client.base_url) == "https://api.openai.com/v1/"
    client = openai_client(
        base_url="http://asr.internal:8000/v1", api_key="k", timeout=3, max_retries=2
    )
    assert (client.api_key, str(client.base_url)) == ("k", "http://asr.internal:8000/v1/")
    assert (client.timeout, client.max_retries) == (3, 2)


def test_every_provider_without_a_key_sends_the_one_placeholder(settings):
    settings.LLM_API_KEY = settings.SEARCH_EMBEDDINGS_API_KEY = ""
    assert LLMAnalyser(base_url="http://127.0.0.1:9/v1").client.api_key == PLACEHOLDER_API_KEY
    embeddings = OpenAICompatibleEmbeddings(base_url="http://127.0.0.1:9/v1")
    assert embeddings.client.api_key == PLACEHOLDER_API_KEY


def test_an_empty_embeddings_base_url_is_openai_itself(settings):
    """Bug fix: an empty ``SEARCH_EMBEDDINGS_BASE_URL`` reached the SDK as "" (no usable URL)."""
    settings.SEARCH_EMBEDDINGS_BASE_URL = ""
    assert str(OpenAICompatibleEmbeddings().client.base_url) == "https://api.openai.com/v1/"


def test_no_other_module_builds_its_own_client():
    sources = [
        path
        for path in ROOT.glob("*/**/*.py")
        if ".venv" not in path.parts and "tests" not in path.parts
    ]
    building = [
        str(path.relative_to(ROOT))
        for path in sources
        if re.search(r"\bOpenAI\(", path.read_text(encoding="utf-8"))
    ]
    assert building == ["chirpworks/openai_client.py"]
