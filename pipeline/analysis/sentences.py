"""The transcript as the analysers read it: cleaned segments, speaker turns, sentences, and the
call view the analysis parts share (who said what, questions and their answers)."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process

from pipeline.analysis.base import AnalysisContext
from pipeline.analysis.dates import DateMention
from pipeline.analysis.text import words

SELLER, BUYER, UNKNOWN = "seller", "buyer", "unknown"
ANY = (SELLER, BUYER, UNKNOWN)
BUY = (BUYER, UNKNOWN)
SELL = (SELLER, UNKNOWN)

QUESTION_START = re.compile(
    r"^\s*(?:and\s+|so\s+|but\s+|okay,?\s+|also,?\s+)?(?:what|how|when|where|why|which|who|whom|"
    r"whose|can|could|would|will|do|does|did|is|are|was|were|shall|should|may|have|has|any)\b",
    re.I,
)
GREETING = re.compile(
    r"\b(?:hello|hi|hey|good\s+(?:morning|afternoon|evening)|namaste|namaskar)\b", re.I
)


@dataclass
class Sentence:
    index: int
    turn: int
    speaker: str
    role: str
    text: str
    norm: str = ""
    dates: list[DateMention] = field(default_factory=list)
    compound: float = 0.0
    confidence: float | None = None
    doc: Any = None  # the spaCy parse of ``norm`` (pipeline.analysis.nlp)

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass
class Turn:
    index: int
    speaker: str
    role: str
    text: str
    start: float
    end: float
    sentences: list[Sentence] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)  # the ASR's, per segment, if given

    @property
    def confidence(self) -> float | None:
        return min(self.confidences) if self.confidences else None


def clean_segments(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for index, seg in enumerate(segments):
        text = " ".join(str(seg.get("text") or "").split())
        if not text:
            continue
        role = str(seg.get("role") or UNKNOWN).lower()
        start = float(seg.get("start") or 0.0)
        end = float(seg.get("end") or start)
        cleaned.append(
            {
                "speaker": str(seg.get("speaker") or role or f"speaker_{index}"),
                "role": role if role in (SELLER, BUYER) else UNKNOWN,
                "text": text,
                "start": start,
                "end": max(end, start),
                "confidence": seg.get("confidence"),
            }
        )
    return cleaned


def make_turns(segs: list[dict[str, Any]]) -> list[Turn]:
    """Consecutive segments of one speaker make a turn; with a single speaker label for the whole
    call (undiarised mono) each segment stands for a turn, the best guess at turn-taking."""
    single = len({seg["speaker"] for seg in segs}) < 2
    turns: list[Turn] = []
    for seg in segs:
        if turns and turns[-1].speaker == seg["speaker"] and not single:
            turns[-1].text += " " + seg["text"]
            turns[-1].end = max(turns[-1].end, seg["end"])
        else:
            turns.append(
                Turn(len(turns), seg["speaker"], seg["role"], seg["text"], seg["start"], seg["end"])
            )
        if isinstance(seg.get("confidence"), int | float):
            turns[-1].confidences.append(float(seg["confidence"]))
    return turns


@dataclass
class CallBase:
    context: AnalysisContext
    base: datetime
    turns: list[Turn]
    sentences: list[Sentence]

    def _other(self, a: str, b: str) -> bool:
        """Whether two speaker labels are different people (always, in a one-label call)."""
        return a != b or len({t.speaker for t in self.turns}) < 2

    def _by(self, *roles: str) -> list[Sentence]:
        return [s for s in self.sentences if s.role in roles]

    @property
    def buyer_label(self) -> str:
        return (
            self.context.buyer_name.split()[0] if self.context.buyer_name.strip() else "the buyer"
        )

    def _speaker_label(self, sentence: Sentence) -> str:
        if sentence.role == SELLER and self.context.seller_name.strip():
            return f"{self.context.seller_name.split()[0]} (seller)"
        if sentence.role == BUYER and self.context.buyer_name.strip():
            return f"{self.context.buyer_name.split()[0]} (buyer)"
        return sentence.role.capitalize() if sentence.role != UNKNOWN else sentence.speaker

    # ---- questions ---------------------------------------------------------------------------
    def _is_question(self, s: Sentence) -> bool:
        return s.text.rstrip().endswith("?") or (
            bool(QUESTION_START.search(s.text)) and not s.text.rstrip().endswith((".", "!"))
        )

    def questions(self) -> tuple[list[dict[str, str]], list[Sentence]]:
        pairs, unanswered = [], []
        for s in self.sentences:
            if not self._is_question(s):
                continue
            answer_turn = next(
                (
                    t
                    for t in self.turns[s.turn + 1 : s.turn + 3]
                    if self._other(t.speaker, s.speaker)
                ),
                None,
            )
            if answer_turn is None:
                unanswered.append(s)
                continue
            answer = " ".join(x.text for x in answer_turn.sentences[:2])
            pairs.append({"question": s.text, "answer": answer})
        return pairs, unanswered


def mentions(name: str, text: str) -> bool:
    """Whether the phrase ``name`` is said in ``text``: fuzzy over word n-grams of its length."""
    target = " ".join(words(name))
    tokens = words(text)
    if not target or not tokens:
        return False
    n = len(target.split())
    cutoff = 100 if len(target) < 5 else 90 if len(target) < 10 else 85
    grams = {
        " ".join(tokens[i : i + k])
        for k in {max(1, n - 1), n, n + 1}
        for i in range(len(tokens) - k + 1)
    }
    return process.extractOne(target, grams, scorer=fuzz.ratio, score_cutoff=cutoff) is not None


def says(text: str, token: str, cutoff: float = 85) -> bool:
    """Whether ``token`` (one word) is said in ``text``, tolerating recognition spelling."""
    if not token:
        return False
    found = process.extractOne(token, words(text), scorer=fuzz.ratio, score_cutoff=cutoff)
    return found is not None


def first_name(name: str) -> str:
    parts = name.split()
    return parts[0].lower() if parts else ""


def capitalise(text: str) -> str:
    text = text.strip(" ,;:.")
    return text[:1].upper() + text[1:] if text else text
