"""Rule-based performance scores (contract §4.8): each metric's reason names its evidence."""

import re
from statistics import fmean
from typing import Any

from meetings.models import PERFORMANCE_METRICS
from pipeline.analysis.roles import agency_tokens
from pipeline.analysis.sentences import (
    BUYER,
    GREETING,
    SELLER,
    UNKNOWN,
    Sentence,
    first_name,
    mentions,
    says,
)
from pipeline.analysis.text import shorten

_PURPOSE = re.compile(
    r"\b(?:about|regarding|following up|follow up|calling (?:to|about|for)|you asked|your "
    r"(?:enquiry|inquiry|request)|renew|reviewed|did you)\b",
    re.I,
)
_COURTESY = re.compile(
    r"\b(?:thank you|thanks|of course|i understand|no problem|happy to|glad|sure|absolutely|"
    r"great|appreciate|please)\b",
    re.I,
)
_EMPATHY = re.compile(
    r"\b(?:i understand|of course|no problem|makes sense|i see|fair enough|i hear you|"
    r"that's fair|completely understand)\b",
    re.I,
)
_CLOSE = re.compile(r"\b(?:thank you|thanks|bye|goodbye|have a (?:good|great|nice))\b", re.I)
_AGREE = re.compile(r"^\s*(?:yes|yeah|yep|okay|ok|sure|fine|alright|great|perfect|done)\b", re.I)
_PRICE_WORDS = re.compile(
    r"\b(?:price|pricing|premium|cost|costs|fee|fees|rate|quote|quotes|discount|budget|emi|"
    r"afford|expensive|cheaper|amount|charges?|rupees|rs|inr|dollars?|thousand|lakh|crore|"
    r"per (?:month|year|annum)|a (?:year|month))\b",
    re.I,
)
_FIGURE = re.compile(
    r"(?:\d[\d,.]*\s*(?:thousand|lakh|lakhs|crore|k|rupees|rs|dollars|%|percent)?|"
    r"\b(?:rs|inr|\$|₹)\s*\d)",
    re.I,
)
_VALUE_WORDS = re.compile(
    r"\b(?:includes?|including|cover|covers|benefit|benefits|more|better|also|value|worth|"
    r"saves?|compare|comparison|feature|features|rider|free|extra)\b",
    re.I,
)

DONE_REPLY = re.compile(r"^\s*(?:done|already done|it'?s done|i have (?:already )?\w+ed)\b", re.I)


def metric(score: float, reason: str) -> dict[str, Any]:
    return {"score": round(max(0.0, min(10.0, float(score))), 1), "reason": reason}


class PerformanceMixin:
    def performance(
        self, *, products, risks, actions, qa_pairs, unanswered, talk_ratio, monologue, sentiment
    ) -> dict[str, Any]:
        seller = self._by(SELLER, UNKNOWN) if not self._by(SELLER) else self._by(SELLER)
        seller_text = " ".join(s.text for s in seller)
        metrics = {
            "intro": self._intro(seller),
            "rapport_building": self._rapport(seller, sentiment),
            "need_realization": self._needs(seller),
            "script_adherance": self._script(seller_text, products, risks, actions),
            "objection_handling": self._objections(risks)[0],
            "pricing_and_negotiation": self._pricing(seller, risks),
            "closure_and_next_steps": self._closure(actions, seller),
            "conversation_structure_and_flow": self._flow(
                talk_ratio, monologue, qa_pairs, unanswered
            ),
        }
        assert tuple(metrics) == PERFORMANCE_METRICS  # noqa: S101 - the contract's order
        scores = [m["score"] for m in metrics.values()]
        strengths = [k for k, m in metrics.items() if m["score"] >= 7]
        improve = [k for k, m in metrics.items() if m["score"] < 5]
        return {
            **metrics,
            "product_details_analysis": {
                "products": [
                    {
                        "product_name": p["product_name"],
                        "features_mentioned": p["features"],
                        "mentions": p["mentions"],
                    }
                    for p in products
                ],
                "catalogue_products_not_mentioned": [
                    p.get("name")
                    for p in self.context.products
                    if p.get("name") not in {x["product_name"] for x in products}
                ],
                "summary": (
                    f"Discussed {', '.join(p['product_name'] for p in products)}"
                    + (
                        f" with features {', '.join(f for p in products for f in p['features'])}"
                        if any(p["features"] for p in products)
                        else ""
                    )
                    if products
                    else "No catalogue product was named"
                ),
            },
            "objection_handling_analysis": self._objections(risks)[1],
            "overall_performance_summary": {
                "overall_score": round(fmean(scores), 2),
                "strengths": strengths,
                "improvements": improve,
                "summary": (
                    f"Strongest: {', '.join(strengths) or 'none'}; "
                    f"to improve: {', '.join(improve) or 'none'}"
                ),
            },
        }

    def _intro(self, seller: list[Sentence]) -> dict[str, Any]:
        if not seller:
            return metric(0, "No seller speech was identified")
        first_turn = seller[0].turn
        opening = " ".join(s.text for s in seller if s.turn == first_turn)
        parts, score = [], 0
        if GREETING.search(opening):
            score += 2
            parts.append("greeting")
        seller_first = first_name(self.context.seller_name)
        if (seller_first and says(opening, seller_first, 90)) or re.search(
            r"\b(?:this\s+is|my\s+name\s+is)\s+\w+", opening, re.I
        ):
            score += 3
            parts.append("own name")
        if any(says(opening, t) for t in agency_tokens(self.context.agency_name)):
            score += 3
            parts.append("agency name")
        if _PURPOSE.search(opening) or any(
            mentions(p.get("name", ""), opening) for p in self.context.products if p.get("name")
        ):
            score += 2
            parts.append("purpose of the call")
        missing = [
            p
            for p in ("greeting", "own name", "agency name", "purpose of the call")
            if p not in parts
        ]
        reason = (
            f'Opening "{shorten(opening, 140)}" has {", ".join(parts) or "none of the usual parts"}'
        )
        if missing:
            reason += f"; missing {', '.join(missing)}"
        return metric(score, reason)

    def _rapport(self, seller: list[Sentence], sentiment: dict[str, Any]) -> dict[str, Any]:
        buyer_first = first_name(self.context.buyer_name)
        name_uses = sum(1 for s in seller if buyer_first and says(s.text, buyer_first, 90))
        courtesy = [m.group(0) for s in seller for m in _COURTESY.finditer(s.text)]
        empathy = [s.text for s in seller if _EMPATHY.search(s.text)]
        tone = sentiment.get("seller")
        score = 1 + min(3, name_uses * 2) + min(3, len(courtesy)) + (2 if empathy else 0)
        if tone is not None and tone > 0.2:
            score += 1
        evidence = [f"used the buyer's name {name_uses}x"]
        if courtesy:
            evidence.append(
                f"courtesy words ({', '.join(dict.fromkeys(c.lower() for c in courtesy))})"
            )
        if empathy:
            evidence.append(f'empathy ("{shorten(empathy[0], 80)}")')
        evidence.append(f"seller tone {tone if tone is not None else 'n/a'}")
        return metric(score, "Seller " + "; ".join(evidence))

    def _needs(self, seller: list[Sentence]) -> dict[str, Any]:
        questions = [s for s in seller if self._is_question(s)]
        situational = [
            s
            for s in seller
            if re.search(
                r"\b(?:for\s+your|your\s+(?:current|age|family|"
                r"needs?|car|policy|budget|situation))\b",
                s.text,
                re.I,
            )
        ]
        stated = [
            s
            for s in self._by(BUYER)
            if re.search(r"\bi\s+(?:want|need|would\s+like|am\s+looking)\b", s.text, re.I)
        ]
        score = min(6, 2 * len(questions)) + (2 if situational else 0) + (2 if stated else 0)
        reason = f"Seller asked {len(questions)} question(s)"
        if questions:
            reason += f' (e.g. "{shorten(questions[0].text, 80)}")'
        if situational:
            reason += (
                f'; tied the offer to the buyer\'s situation ("{shorten(situational[0].text, 80)}")'
            )
        if stated:
            reason += f'; buyer stated a need ("{shorten(stated[0].text, 80)}")'
        return metric(score, reason)

    def _script(self, seller_text, products, risks, actions) -> dict[str, Any]:
        steps = {
            "introduction": bool(GREETING.search(seller_text)),
            "product named": bool(products),
            "features or benefits explained": any(p["features"] for p in products)
            or bool(_VALUE_WORDS.search(seller_text)),
            "price discussed": bool(_PRICE_WORDS.search(seller_text)),
            "objections answered": not risks
            or bool(_EMPATHY.search(seller_text) or _VALUE_WORDS.search(seller_text)),
            "next step agreed": bool(actions),
            "courteous close": bool(_CLOSE.search(seller_text)),
        }
        done = [k for k, v in steps.items() if v]
        missed = [k for k, v in steps.items() if not v]
        score = round(10 * len(done) / len(steps), 1)
        reason = f"Covered {len(done)}/{len(steps)} steps: {', '.join(done) or 'none'}"
        if missed:
            reason += f"; missed {', '.join(missed)}"
        return metric(score, reason)

    def _objections(self, risks) -> tuple[dict[str, Any], dict[str, Any]]:
        if not risks:
            return (
                metric(7, "No objections were raised, so none needed handling (neutral score)"),
                {"objections": [], "summary": "No objections were raised"},
            )
        handled = []
        for r in risks:
            signal = next((s for s in self.sentences if s.text == r["risk_signal"]), None)
            reply = ""
            if signal is not None:
                nxt = next(
                    (
                        t
                        for t in self.turns[signal.turn + 1 :]
                        if t.role in (SELLER, UNKNOWN) and self._other(t.speaker, signal.speaker)
                    ),
                    None,
                )
                reply = nxt.text if nxt else ""
            quality = 0
            if reply:
                quality += 1
                if _VALUE_WORDS.search(reply):
                    quality += 1
                if _EMPATHY.search(reply) or re.search(
                    r"\b(?:i\s+will|i'll|let\s+me)\s+(?:check|get|"
                    r"ask|see|find|confirm|send|show)",
                    reply,
                    re.I,
                ):
                    quality += 1
            handled.append(
                {
                    "risk": r["risk"],
                    "signal": r["risk_signal"],
                    "response": reply,
                    "handled": quality >= 2,
                    "quality": quality,
                }
            )
        score = round(10 * fmean(h["quality"] for h in handled) / 3, 1)
        parts = [
            f"{h['risk']}: "
            + (f'answered with "{shorten(h["response"], 80)}"' if h["response"] else "not answered")
            for h in handled
        ]
        analysis = {
            "objections": [{k: v for k, v in h.items() if k != "quality"} for h in handled],
            "summary": f"{sum(h['handled'] for h in handled)}/{len(handled)} objections handled",
        }
        return metric(score, "; ".join(parts)), analysis

    def _pricing(self, seller: list[Sentence], risks) -> dict[str, Any]:
        price_talk = [s for s in self.sentences if _PRICE_WORDS.search(s.text)]
        if not price_talk:
            return metric(5, "Price was not discussed in the call (neutral score)")
        figures = [s for s in seller if _PRICE_WORDS.search(s.text) and _FIGURE.search(s.norm)]
        value = [s for s in seller if _PRICE_WORDS.search(s.text) and _VALUE_WORDS.search(s.text)]
        price_risk = next((r for r in risks if r["risk"] == "price"), None)
        score, parts = 3, [f"price came up in {len(price_talk)} sentence(s)"]
        if figures:
            score += 3
            parts.append(f'seller gave a figure ("{shorten(figures[0].text, 80)}")')
        if value or any(_VALUE_WORDS.search(s.text) for s in seller):
            score += 2
            parts.append("linked price to value")
        if price_risk:
            response = self._objections([price_risk])[1]["objections"][0]
            if response["handled"]:
                score += 2
                parts.append(
                    f'answered the price objection ("{shorten(response["response"], 80)}")'
                )
            else:
                parts.append("did not answer the price objection")
        elif figures:
            score += 1
        return metric(score, "; ".join(parts))

    def _closure(self, actions: list[Any], seller: list[Sentence]) -> dict[str, Any]:
        dated = [a for a in actions if a.due]
        score = 1
        parts = []
        if actions:
            score += 3
            parts.append(f"{len(actions)} next step(s) agreed")
        if dated:
            score += 3
            parts.append(
                f'{len(dated)} with a due date (e.g. "{dated[0].name}" by {dated[0].due:%d %b})'
            )
        if any(a.kind in ("commitment", "joint") for a in actions):
            score += 2
            parts.append("seller committed personally")
        last = self.turns[-1] if self.turns else None
        if last and (_CLOSE.search(last.text) or _AGREE.search(last.text)):
            score += 1
            parts.append(f'closed with "{shorten(last.text, 60)}"')
        return metric(score, "; ".join(parts) or "No next step or close was agreed")

    def _flow(self, talk_ratio, monologue, qa_pairs, unanswered) -> dict[str, Any]:
        score, parts = 0.0, []
        if talk_ratio:
            share = talk_ratio[SELLER]
            balance = max(0.0, 1 - abs(share - 0.55) / 0.45)
            score += 4 * balance
            parts.append(f"seller talk share {share:.0%}")
        else:
            score += 2
            parts.append("talk share unknown (roles not known)")
        if monologue:
            if monologue["seconds"] <= 60:
                score += 2
            parts.append(f"longest monologue {monologue['seconds']:.0f}s ({monologue['role']})")
        else:
            score += 1
        asked = len(qa_pairs) + len(unanswered)
        if asked:
            score += 2 * len(qa_pairs) / asked
            parts.append(f"{len(qa_pairs)}/{asked} questions answered")
        turns = len(self.turns)
        score += 2 if turns >= 4 else turns / 2
        parts.append(f"{turns} turns")
        return metric(round(score, 1), "; ".join(parts))
