"""A quality gate: when the transcript reads as noise, the analysis says less rather than invent.

A word is plausible when it is English (``wordfreq``'s Zipf frequency ≥ 2, about once in ten
million words), a number, common Hinglish, or a name the call knows (the agency, its people,
the catalogue). A sentence is unreliable when under 75% of its words are plausible or the ASR's
confidence for its turn is under 0.35. Actions are kept only when their title and sentence are
reliable; summary bullets from unreliable sentences are dropped, and a transcript that is
mostly unreliable gets at most two bullets and a note saying so.
"""

from functools import lru_cache
from typing import Any

from wordfreq import zipf_frequency

from pipeline.analysis.text import words

HINGLISH = frozenset(
    """
    haan han ji theek thik hai hain bas acha accha achha arre arey yaar na nahi nahin bhai bhaiya
    didi beta lakh lakhs crore crores namaste namaskar bolo chalo kya kyun matlab sahi bilkul
    saab saheb sahab anna amma madam sir ka ke ki ko se mein hoon raha rahi baad pehle abhi
    jaldi thoda zyada paisa rupees rs emi gst upi kirana mandi puja diwali holi
    """.split()  # noqa: SIM905
)
MIN_PLAUSIBLE = 0.75
MIN_CONFIDENCE = 0.35


@lru_cache(maxsize=16384)
def _english(word: str) -> bool:
    return zipf_frequency(word, "en") >= 2.0


class QualityGate:
    def __init__(self, call: Any) -> None:
        ctx = call.context
        known = set(HINGLISH)
        for text in (
            ctx.agency_name,
            ctx.seller_name,
            ctx.buyer_name,
            *(str(p.get("name", "")) for p in ctx.products),
            *(
                str(f.get("name", "") if isinstance(f, dict) else f)
                for p in ctx.products
                for f in p.get("features") or []
            ),
        ):
            known.update(words(text))
        self.known = known
        self.call = call
        self._scores = {s.index: self._plausible(s.text) for s in call.sentences}
        reliable = [s for s in call.sentences if self.reliable(s)]
        self.share_reliable = len(reliable) / len(call.sentences) if call.sentences else 1.0
        self.poor = bool(call.sentences) and self.share_reliable < 0.6

    def _plausible(self, text: str) -> float:
        tokens = [w for w in words(text) if not w.isdigit()]
        if not tokens:
            return 1.0
        good = sum(1 for w in tokens if w in self.known or _english(w.split("'")[0]))
        return good / len(tokens)

    def reliable(self, sentence: Any) -> bool:
        if sentence.confidence is not None and sentence.confidence < MIN_CONFIDENCE:
            return False
        return self._scores.get(sentence.index, 1.0) >= MIN_PLAUSIBLE

    def keeps(self, title: str, sentence: Any) -> bool:
        """An action is shown only when its words and its sentence are reliable."""
        return self.reliable(sentence) and self._plausible(title) >= 0.85

    def summary(self, bullets: list[str]) -> list[str]:
        by_text = {s.text: s for s in self.call.sentences}
        kept = []
        for bullet in bullets:
            said = bullet.split(": ", 1)[-1]
            sentence = by_text.get(said)
            if sentence is None or self.reliable(sentence):
                kept.append(bullet)
        if self.poor:
            kept = [*kept[:2], "The transcript is too unclear to summarise the rest of the call."]
        return kept or ["The transcript is too unclear to summarise."]

    def report(self) -> dict[str, Any]:
        return {"reliable_share": round(self.share_reliable, 3), "poor": self.poor}
