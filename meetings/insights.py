"""Figures read off a stored transcript, for ``GET /api/meetings/call_data/<id>``.

Pure functions of the meeting's segments (``{speaker, role, text, start, end, ...}``) and the
agency's keyword trackers: talk metrics when the speakers' roles are known, tracker hits with
who said them and when, and the analysis's objections located in the transcript. No queries.
"""

import re
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

ROLES = ("seller", "buyer")
# Segments of one role closer than this make one monologue.
MONOLOGUE_GAP_SECONDS = 2.0
MAX_TRACKER_HITS = 200
QUESTION_START = re.compile(
    r"^(what|when|where|which|who|whom|whose|why|how|can|could|would|will|shall|should|do|does|"
    r"did|is|are|was|were|have|has|may)\b",
    re.IGNORECASE,
)
SENTENCE_SPLIT = re.compile(r"(?<=[.?!])\s+")


def _seconds(segment: dict[str, Any]) -> float:
    try:
        return max(0.0, float(segment.get("end") or 0) - float(segment.get("start") or 0))
    except (TypeError, ValueError):
        return 0.0


def _questions(text: str) -> int:
    count = 0
    for sentence in SENTENCE_SPLIT.split(text.strip()):
        sentence = sentence.strip()
        if sentence.endswith("?") or (sentence and QUESTION_START.match(sentence) and "?" in text):
            count += 1
    return count


def _segments(transcription: Any) -> list[dict[str, Any]]:
    if not isinstance(transcription, list):
        return []
    return [s for s in transcription if isinstance(s, dict) and isinstance(s.get("text"), str)]


def transcript_talk_metrics(transcription: Any) -> dict[str, Any] | None:
    """Talk ratio, talk time, longest monologue and question counts per role; None unless both
    the seller's and the buyer's segments are known."""
    segments = [s for s in _segments(transcription) if s.get("role") in ROLES]
    if {s["role"] for s in segments} != set(ROLES):
        return None
    talk = dict.fromkeys(ROLES, 0.0)
    questions = dict.fromkeys(ROLES, 0)
    for segment in segments:
        talk[segment["role"]] += _seconds(segment)
        questions[segment["role"]] += _questions(segment["text"])
    total = sum(talk.values())
    longest: dict[str, Any] | None = None
    run: dict[str, Any] | None = None
    for segment in sorted(segments, key=lambda s: (s.get("start") or 0, s.get("end") or 0)):
        start, end = float(segment.get("start") or 0), float(segment.get("end") or 0)
        if run and run["role"] == segment["role"] and start - run["end"] <= MONOLOGUE_GAP_SECONDS:
            run["end"] = max(run["end"], end)
        else:
            run = {"role": segment["role"], "speaker": segment.get("speaker"), "start": start}
            run["end"] = end
        if longest is None or run["end"] - run["start"] > longest["seconds"]:
            longest = {**run, "seconds": round(run["end"] - run["start"], 1)}
    return {
        "talk_ratio": {role: round(talk[role] / total, 2) if total else 0.0 for role in ROLES},
        "talk_seconds": {role: round(talk[role], 1) for role in ROLES},
        "longest_monologue": longest
        and {
            "role": longest["role"],
            "speaker": longest["speaker"],
            "seconds": longest["seconds"],
            "start": round(longest["start"], 2),
            "end": round(longest["end"], 2),
        },
        "questions": {**questions, "total": sum(questions.values())},
    }


@lru_cache(maxsize=512)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<![\w])" + r"\s+".join(words) + r"(?![\w])", re.IGNORECASE)


def transcript_tracker_hits(transcription: Any, trackers: Any) -> list[dict[str, Any]]:
    """Every mention of an agency tracker's keyword: ``{tracker, keyword, speaker, role, start,
    end, text}`` in transcript order (at most ``MAX_TRACKER_HITS``)."""
    if not isinstance(trackers, dict):
        return []
    keywords = [
        (str(name), keyword.strip())
        for name, words in trackers.items()
        if isinstance(words, list)
        for keyword in words
        if isinstance(keyword, str) and keyword.strip()
    ]
    hits: list[dict[str, Any]] = []
    for segment in _segments(transcription):
        for tracker, keyword in keywords:
            for _match in _keyword_pattern(keyword).finditer(segment["text"]):
                hits.append(
                    {
                        "tracker": tracker,
                        "keyword": keyword,
                        "speaker": segment.get("speaker"),
                        "role": segment.get("role"),
                        "start": segment.get("start"),
                        "end": segment.get("end"),
                        "text": segment["text"],
                    }
                )
                if len(hits) >= MAX_TRACKER_HITS:
                    return hits
    return hits


def transcript_locate(transcription: Any, quote: str) -> dict[str, Any] | None:
    """The segment that best contains ``quote`` (fuzzy, for signals quoted by the analysis)."""
    if not quote:
        return None
    best, best_score = None, 0.0
    for segment in _segments(transcription):
        score = fuzz.partial_ratio(quote.lower(), segment["text"].lower())
        if score > best_score:
            best, best_score = segment, score
    return best if best_score >= 80 else None


def meeting_objections(risks: Any, transcription: Any) -> list[dict[str, Any]]:
    """The analysis's risks as objections, each with its signal's speaker and time."""
    objections = []
    for risk in risks if isinstance(risks, list) else []:
        if not isinstance(risk, dict) or not risk.get("risk"):
            continue
        signal = str(risk.get("risk_signal") or "")
        where = transcript_locate(transcription, signal) or {}
        objections.append(
            {
                "type": risk["risk"],
                "signal": signal,
                "reasoning": risk.get("risk_reasoning") or "",
                "speaker": where.get("speaker"),
                "role": where.get("role"),
                "start": where.get("start"),
            }
        )
    return objections
