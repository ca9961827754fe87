"""Did the seller tell the buyer the call is recorded? (IRDAI expects insurance sellers to.)

Not one regular expression per script: a sentence discloses recording when it holds a word for
*recording* (``record``, ``recorded``, ``recording``…, also as speech recognition misspells
them, matched fuzzily, and the Hindi ``रिकॉर्ड``) together with a word for *the call* or *why*
(``call``, ``conversation``, ``line``, ``quality``, ``training``, ``purposes``, ``monitoring``,
``baat``…), is not negated just before (``not``, ``never``, ``nahi``…) and is not a question
(``are you recording this call?``). So "this call is being recorded", "calls are recorded for
quality and training purposes", "please note, our conversation will be recorded", "yeh call
record ho rahi hai" and "for quality purpose, this line is recorded" all count.

Only the seller's sentences count when roles are known; with no roles, any speaker but a buyer.
"""

import re
from typing import Any

from rapidfuzz import fuzz

_RECORD_EXACT = {"record", "recorded", "recording", "recordings", "records", "रिकॉर्ड", "रिकार्ड"}
_RECORD_FUZZY = ("recorded", "recording")
_CONTEXT = {
    "call",
    "calls",
    "conversation",
    "conversations",
    "line",
    "quality",
    "training",
    "purpose",
    "purposes",
    "monitoring",
    "monitored",
    "compliance",
    "audit",
    "security",
    "safety",
    "baat",
    "baatcheet",
    "कॉल",
    "बातचीत",
}
_NEGATIONS = {
    "not",
    "never",
    "no",
    "nahi",
    "nahin",
    "mat",
    "without",
    "isnt",
    "arent",
    "wasnt",
    "werent",
    "wont",
    "dont",
    "doesnt",
    "cant",
    "cannot",
    "shouldnt",
    "wouldnt",
    "havent",
    "hasnt",
    "नहीं",
}
_NEGATION_WINDOW = 3
_QUESTION_STARTS = {"are", "is", "will", "do", "does", "can", "could", "would", "was", "were"}
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]?")
_WORD = re.compile(r"[\w\u0900-\u097F']+")


def _is_record_word(word: str) -> bool:
    if word in _RECORD_EXACT or word.startswith("record"):
        return True
    # Speech recognition's near misses ("recordid", "rekorded"), never short words.
    return len(word) >= 7 and any(fuzz.ratio(word, target) >= 85 for target in _RECORD_FUZZY)


def sentence_discloses_recording(sentence: str) -> bool:
    words = [w.lower().replace("'", "") for w in _WORD.findall(sentence)]
    if not words:
        return False
    if sentence.strip().endswith("?") and words[0] in _QUESTION_STARTS:
        return False  # asking whether it is recorded tells nothing
    if not any(word in _CONTEXT for word in words):
        return False
    for index, word in enumerate(words):
        if _is_record_word(word):
            before = words[max(0, index - _NEGATION_WINDOW) : index]
            if not any(w in _NEGATIONS for w in before):
                return True
    return False


def recording_disclosure(segments: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"disclosed": bool | None, "at": seconds | None, "text": sentence | None}``.

    ``disclosed`` is None when there is nothing to judge (no transcript).
    """
    segments = [s for s in segments or [] if isinstance(s, dict) and s.get("text")]
    if not segments:
        return {"disclosed": None, "at": None, "text": None}
    roles_known = any(s.get("role") == "seller" for s in segments)
    for segment in segments:
        role = segment.get("role")
        if (roles_known and role != "seller") or (not roles_known and role == "buyer"):
            continue
        for sentence in _SENTENCE.findall(str(segment["text"])):
            if sentence_discloses_recording(sentence):
                return {"disclosed": True, "at": segment.get("start"), "text": sentence.strip()}
    return {"disclosed": False, "at": None, "text": None}
