"""Summary, key points, facts, highlights, title, call type, suggested next steps, sentiment and
talk figures."""

import math
import re
from collections import Counter
from typing import Any

import numpy as np

from pipeline.analysis.base import DEAL_STAGES
from pipeline.analysis.sentences import BUY, BUYER, GREETING, SELLER, Sentence, Turn, mentions
from pipeline.analysis.text import content_stems, shorten

DISCOVERY, SOLUTION, STAKEHOLDER, NEGOTIATION, WON, LOST = DEAL_STAGES
_STAGE_TITLE = {
    DISCOVERY: "enquiry",
    SOLUTION: "solution discussion",
    STAKEHOLDER: "follow-up with decision makers",
    NEGOTIATION: "negotiation",
    WON: "closing",
    LOST: "follow-up (declined)",
}
_FACT_PATTERNS = (
    (
        re.compile(
            r"\bi\s+(?:want|need|would\s+like|am\s+looking\s+for|'m\s+looking\s+for)\s+"
            r"(?P<obj>(?:a|an|some|the)\s+[^.?!,]+)",
            re.I,
        ),
        "wants",
    ),
    (
        re.compile(
            r"\bmy\s+(?P<subj>[a-z]+(?:\s+[a-z]+)?)\s+(?P<pred>has\s+started\s+\w+|"
            r"(?:is|has|renews|expires|covers|gives|provides))\s+(?P<obj>[^.?!,]+)",
            re.I,
        ),
        None,
    ),
    (
        re.compile(
            r"\byour\s+(?P<subj>[a-z]+(?:\s+[a-z]+)?)\s+(?P<pred>renews|expires|is\s+due|"
            r"lapses)\s+(?P<obj>[^.?!,]+)",
            re.I,
        ),
        None,
    ),
    (
        re.compile(
            r"\b(?:it|the\s+premium|the\s+price|the\s+cost|the\s+fee)\s+(?:is|would\s+be|"
            r"will\s+be|comes\s+to)\s+(?P<obj>(?:about|around|approximately|roughly|only)?\s*"
            r"\d[^.?!,]*)",
            re.I,
        ),
        "costs",
    ),
)


class SummaryMixin:
    def suggested_actions(
        self,
        *,
        risks: list[dict[str, str]],
        stage: dict[str, Any],
        actions: list[Any],
        unanswered: list[Sentence],
    ) -> list[dict[str, Any]]:
        covered = set().union(*(a.stems for a in actions)) if actions else set()
        out: list[dict[str, Any]] = []

        def suggest(name: str, reasoning: str, signals: list[str], topic: set[str]) -> None:
            if topic and topic & covered:
                return  # an action already covers it
            if any(x["action_name"] == name for x in out):
                return
            out.append(
                {
                    "action_name": name,
                    "due_date": None,
                    "description": name,
                    "reasoning": reasoning,
                    "signals": signals,
                }
            )

        by_kind = {r["risk"]: r for r in risks}
        if "competitor" in by_kind:
            suggest(
                "Prepare a side-by-side comparison with the competitor",
                "The buyer compared the offer with a competitor",
                [by_kind["competitor"]["risk_signal"]],
                {"comparison", "compar"},
            )
        if "price" in by_kind:
            suggest(
                "Answer the price concern with the benefits the price includes",
                "The buyer raised a price objection",
                [by_kind["price"]["risk_signal"]],
                set(),
            )
        if "trust" in by_kind:
            suggest(
                "Share reviews, references or claim records to build trust",
                "The buyer doubts the company or product",
                [by_kind["trust"]["risk_signal"]],
                set(),
            )
        if "timing" in by_kind:
            suggest(
                "Agree a date to revisit the decision",
                "The buyer wants to delay",
                [by_kind["timing"]["risk_signal"]],
                set(),
            )
        if "need" in by_kind:
            suggest(
                "Check back later in case the buyer's needs change",
                "The buyer said they do not need the product now",
                [by_kind["need"]["risk_signal"]],
                set(),
            )
        if stage["deal_stage"] == STAKEHOLDER:
            suggest(
                "Send a short summary the buyer can share with the other decision maker",
                "Another person must agree before the buyer decides",
                stage["stage_signals"][:2],
                set(),
            )
        if stage["deal_stage"] == NEGOTIATION:
            suggest(
                "Get the approval needed and confirm the final terms",
                "Terms are under negotiation",
                stage["stage_signals"][:2],
                {"approval"},
            )
        for s in unanswered:
            if s.role in BUY:
                suggest(
                    f"Answer the buyer's question: {shorten(s.text, 100)}",
                    "The buyer's question had no answer in the call",
                    [s.text],
                    set(),
                )
        if not actions and stage["deal_stage"] not in (WON, LOST):
            suggest("Schedule a follow-up call", "No next step was agreed in the call", [], set())
        return out[:4]

    # ---- sentiment, talk time --------------------------------------------------------------
    def sentiment(self) -> dict[str, Any]:
        def mean(items: list[Sentence]) -> float | None:
            weights = [max(1, len(s.text.split())) for s in items]
            if not items:
                return None
            return round(
                sum(s.compound * w for s, w in zip(items, weights, strict=True)) / sum(weights), 3
            )

        overall = mean(self.sentences) or 0.0
        label = "positive" if overall >= 0.05 else "negative" if overall <= -0.05 else "neutral"
        return {
            "overall": overall,
            "label": label,
            "seller": mean(self._by(SELLER)),
            "buyer": mean(self._by(BUYER)),
        }

    def talk_figures(self) -> tuple[dict[str, float] | None, dict[str, Any] | None]:
        roles = {t.role for t in self.turns}
        if not {SELLER, BUYER} <= roles:
            return None, None
        timed = any(t.end > t.start for t in self.turns)

        def length(t: Turn) -> float:
            return t.end - t.start if timed else float(len(t.text.split()))

        totals = Counter()
        for t in self.turns:
            if t.role in (SELLER, BUYER):
                totals[t.role] += length(t)
        total = totals[SELLER] + totals[BUYER]
        if total <= 0:
            return None, None
        ratio = {SELLER: round(totals[SELLER] / total, 3), BUYER: round(totals[BUYER] / total, 3)}
        longest = max(self.turns, key=length)
        seconds = longest.end - longest.start if timed else len(longest.text.split()) / 2.5
        return ratio, {"role": longest.role, "seconds": round(seconds, 1)}

    # ---- summary, points, facts, title, type -----------------------------------------------
    def summary(self, *, products, risks, actions, stage) -> list[str]:
        """Extractive: TextRank over TF-IDF vectors, boosted by the analysis' evidence."""
        candidates = [s for s in self.sentences if len(s.text.split()) >= 4]
        if not candidates:
            candidates = self.sentences
        if not candidates:
            return ["The call had no transcribed speech."]
        rank = textrank([s.text for s in candidates])
        evidence = {r["risk_signal"] for r in risks} | set(stage["stage_signals"])
        evidence |= {a.sentence.text for a in actions}
        product_names = [p["product_name"] for p in products]
        scored = []
        for s, r in zip(candidates, rank, strict=True):
            boost = 1.0
            if s.text in evidence:
                boost += 0.6
            if any(mentions(name, s.text) for name in product_names):
                boost += 0.3
            if s.dates:
                boost += 0.2
            if GREETING.search(s.text) and len(s.text.split()) < 8:
                boost -= 0.5
            scored.append((r * boost, s))
        top = sorted(scored, key=lambda x: -x[0])[:5]
        chosen = sorted((s for _, s in top), key=lambda s: s.index)
        return [f"{self._speaker_label(s)}: {s.text}" for s in chosen]

    def key_points(self, *, products, risks, qa_pairs, actions) -> list[str]:
        points = []
        for p in products:
            feats = f" ({', '.join(p['features'])})" if p["features"] else ""
            points.append(f"{p['product_name']}{feats}: buyer interest {p['interest_level']}")
        for r in risks:
            points.append(f"{r['risk'].capitalize()} objection: {shorten(r['risk_signal'], 120)}")
        for qa in qa_pairs[:3]:
            points.append(f"Q: {shorten(qa['question'], 100)} A: {shorten(qa['answer'], 100)}")
        for a in actions:
            when = f" (due {a.due.strftime('%d %b %Y %H:%M')})" if a.due else ""
            points.append(f"Next step: {a.name}{when}")
        return points[:10]

    def facts(self, *, products) -> list[dict[str, str]]:
        facts: list[dict[str, str]] = []
        main_product = products[0]["product_name"] if products else None
        for s in self.sentences:
            for pattern, predicate in _FACT_PATTERNS:
                m = pattern.search(s.text)
                if not m:
                    continue
                groups = m.groupdict()
                obj = groups["obj"].strip()
                if predicate == "wants":
                    if s.role == SELLER:
                        continue
                    fact = (self.buyer_label, "wants", obj)
                elif predicate == "costs":
                    fact = (main_product or "The offer", "costs", obj)
                else:
                    owner = (
                        self.buyer_label
                        if s.role != SELLER or "your" in m.group(0).lower()
                        else "Seller"
                    )
                    fact = (f"{owner}'s {groups['subj']}", groups["pred"], obj)
                item = {"subject": fact[0], "predicate": fact[1], "object": shorten(fact[2], 150)}
                if item not in facts:
                    facts.append(item)
        return facts[:10]

    def highlights(self, *, facts, risks, stage) -> list[str]:
        out = [f"{f['subject']} {f['predicate']} {f['object']}" for f in facts[:3]]
        out += [f"{r['risk'].capitalize()}: {shorten(r['risk_signal'], 100)}" for r in risks]
        out.append(f"Deal stage: {stage['deal_stage']}")
        return out[:6]

    def title(self, *, products, stage, call_type) -> str:
        subject = products[0]["product_name"] if products else "Sales call"
        what = "renewal" if call_type == "renewal" else _STAGE_TITLE[stage["deal_stage"]]
        who = f" with {self.context.buyer_name.strip()}" if self.context.buyer_name.strip() else ""
        return shorten(f"{subject} {what}{who}", 300)

    def call_type(self, *, stage) -> tuple[str, str]:
        text = " ".join(s.text for s in self.sentences).lower()
        if re.search(
            r"\b(?:complaint|claim\s+(?:status|rejected|settlement)|not\s+working|refund|"
            r"problem\s+with|issue\s+with)\b",
            text,
        ):
            return "support", "support"
        follow_up = bool(self.context.previous_summaries) or bool(
            re.search(
                r"\b(?:following\s+up|follow\s+up|as\s+discussed|last\s+time|did\s+you\s+(?:compare|"
                r"review|check|get|see)|have\s+you\s+(?:reviewed|checked|seen|gone\s+through|compared)|"
                r"about\s+the\s+\w+(?:\s+\w+)?\s+(?:quote|proposal))\b",
                text,
            )
        )
        if re.search(r"\brenew(?:s|al|ing)?\b", text):
            return ("follow_up" if follow_up else "sales_call"), "renewal"
        if stage["deal_stage"] == NEGOTIATION:
            return ("follow_up" if follow_up else "sales_call"), "negotiation"
        if follow_up:
            return "follow_up", "follow_up"
        return "sales_call", "new_enquiry"


def textrank(texts: list[str], damping: float = 0.85, iterations: int = 30) -> list[float]:
    """PageRank over the cosine similarity of TF-IDF sentence vectors (numpy)."""
    docs = [Counter(content_stems(t)) for t in texts]
    df = Counter(term for d in docs for term in d)
    n = len(docs)
    vocab = {term: i for i, term in enumerate(df)}
    matrix = np.zeros((n, max(1, len(vocab))))
    for row, d in enumerate(docs):
        for term, count in d.items():
            matrix[row, vocab[term]] = count * (math.log((1 + n) / (1 + df[term])) + 1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.where(norms == 0, 1.0, norms)
    sim = matrix @ matrix.T
    np.fill_diagonal(sim, 0.0)
    out_weight = sim.sum(axis=1)
    out_weight[out_weight == 0] = 1.0
    transition = sim / out_weight[:, None]
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * (transition.T @ rank)
    return [float(r) + 1e-6 * len(texts[i].split()) for i, r in enumerate(rank)]
