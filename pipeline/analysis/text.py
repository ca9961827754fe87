"""Small text utilities shared by the analysers: sentences, number words, content-word stems."""

import re
from functools import lru_cache

from text_to_num import alpha2digit

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Words that carry no topic: function words, fillers, and verbs every action shares.
STOPWORDS = frozenset(
    """
    a an the and or but if then so of to in on at by for from with without about as into onto
    over under than too very also just only even still again once when while before after until
    is am are was were be been being do does did doing have has had having will would shall
    should can could may might must i me my mine we us our ours you your yours he him his she her
    hers it its they them their theirs this that these those there here what which who whom whose
    where why how all any both each few more most other some such no nor not own same yes okay ok
    sure please kindly let lets let's i'll i'm you'll we'll it's that's don't do not can't won't
    well maybe now today tomorrow day days week weeks month months year years time
    send sending sent email share get give take make set up call check confirm see look back
    like want need know think go going come one two three four five six seven eight nine ten
    monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night
    next end first last hello hi thanks thank good bye
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def split_sentences(text: str) -> list[str]:
    """Split a turn into sentences on terminal punctuation (ASR output keeps it)."""
    text = " ".join(text.split())
    if not text:
        return []
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


@lru_cache(maxsize=4096)
def numbers_to_digits(text: str) -> str:
    """'on the twenty fifth in three days' -> 'on the 25th in 3 days' (text2num)."""
    try:
        return alpha2digit(text, "en", threshold=1)  # "zero depreciation" stays words
    except (ValueError, TypeError):  # text2num refuses some odd inputs; keep the words then
        return text


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """A light English stemmer, enough to match 'quotes' / 'quote' and 'booked' / 'book'."""
    for suffix in ("ies", "sses", "xes", "ches", "shes", "ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: len(word) - len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_stems(text: str) -> set[str]:
    """The topic-bearing words of a phrase, stemmed."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and not w.isdigit() and len(w) > 2}


def shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"
