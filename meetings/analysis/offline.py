"""Minimal offline analyser for the issue-4 branch: schema-valid output from simple rules.

The full NLP analyser (dateparser due dates, VADER sentiment, objections, ...) is built in a
separate branch and replaces this module on merge; the pipeline only relies on the schema in
``meetings.analysis.base``.
"""

import re
from datetime import timedelta
from typing import Any

from meetings.analysis.base import DEAL_STAGES, AnalysisContext
from meetings.models import PERFORMANCE_METRICS

_COMMITMENT = re.compile(r"\b(i will|i'll|we will|let me|send me)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class OfflineAnalyser:
    name = "offline"

    def analyse(self, *, segments: list[dict[str, Any]], context: AnalysisContext) -> dict:
        sentences = [
            part.strip()
            for segment in segments
            for part in _SENTENCE.split(segment.get("text") or "")
            if part.strip()
        ]
        text = " ".join(sentences).lower()
        products = [
            {
                "product_id": product.get("id"),
                "product_name": product["name"],
                "features": [
                    f["name"] for f in product.get("features", []) if f["name"].lower() in text
                ],
                "mentions": text.count(product["name"].lower()),
                "interest_level": "medium",
            }
            for product in context.products
            if product["name"].lower() in text
        ]
        due = (context.call_start + timedelta(days=2)).isoformat()
        actions = [
            {
                "action_name": sentence[:120],
                "due_date": due,
                "description": sentence,
                "reasoning": "A commitment made during the call",
                "signals": [sentence],
            }
            for sentence in sentences
            if _COMMITMENT.search(sentence)
        ][:5]
        questions = [s for s in sentences if s.endswith("?")]
        seconds: dict[str, float] = {}
        for segment in segments:
            role = segment.get("role") or "unknown"
            seconds[role] = seconds.get(role, 0.0) + max(0.0, segment["end"] - segment["start"])
        known = seconds.get("seller", 0.0) + seconds.get("buyer", 0.0)
        talk_ratio = (
            {
                "seller": seconds.get("seller", 0.0) / known,
                "buyer": seconds.get("buyer", 0.0) / known,
            }
            if known
            else None
        )
        score = min(10, 4 + len(actions) + len(products))
        performance: dict[str, Any] = {
            metric: {
                "score": score,
                "reason": f"{len(actions)} commitments, {len(products)} products",
            }
            for metric in PERFORMANCE_METRICS
        }
        performance.update(
            product_details_analysis={"products": [p["product_name"] for p in products]},
            objection_handling_analysis={},
            overall_performance_summary={"questions_asked": len(questions)},
        )
        title = f"Call with {context.buyer_name or 'buyer'}"
        if products:
            title += f" about {products[0]['product_name']}"
        return {
            "call_title": title,
            "call_summary": {"bullets": sentences[:5], "key_discussion_points": questions[:5]},
            "call_type": "sales_call",
            "detected_call_type": "sales_call",
            "detected_products": products,
            "qa_pairs": [],
            "facts": [],
            "deal_stage": {
                "deal_stage": DEAL_STAGES[0],
                "stage_signals": [],
                "stage_reasoning": [],
            },
            "risks": [],
            "actions": actions,
            "suggested_actions": [],
            "sentiment": {"overall": 0.0, "label": "neutral", "seller": None, "buyer": None},
            "talk_ratio": talk_ratio,
            "longest_monologue": None,
            "speaker_roles": {},
            "performance": performance,
            "buyer_profile": {
                "risks": [],
                "products_discussed": [
                    {
                        "product_name": p["product_name"],
                        "product_id": p["product_id"],
                        "interest_level": p["interest_level"],
                    }
                    for p in products
                ],
                "key_highlights": sentences[:3],
            },
            "provider": self.name,
        }
