"""The offline analyser: a reading of a sales call with no network, its models shipped in PyPI
packages.

Parts, one module each:
- ``sentences``: segments to speaker turns and sentences; ``roles``: who is seller and buyer when
  the transcript does not say;
- ``nlp``: spaCy's English dependency parse, loaded once per process; ``predicates``: what a
  verb in it is (a promise, a request, whose, which clause); ``commitments`` and
  ``action_items``: commitments by anyone (seller, buyer, a third party), with owners,
  conditions and due dates (``dates``: relative to the call's start in the agency's timezone);
- ``products``: the catalogue's products, named, shortened, misheard or known by a feature;
- ``competitors``: a built-in list per industry plus the agency's trackers; ``objections``:
  price, timing, competitor, trust, need; ``stage``: the deal stage from evidence;
- ``summary``: summary, title, key points, facts, suggestions, sentiment (VADER) and talk
  figures; ``performance``: the rule-based scores whose reasons quote the evidence;
- ``quality``: when the transcript reads as noise, the analysis says less.
"""

from dataclasses import dataclass
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pipeline.analysis.action_items import action_dict, extract_actions
from pipeline.analysis.base import AnalysisContext
from pipeline.analysis.competitors import CompetitorFinder
from pipeline.analysis.dates import find_dates, local_base
from pipeline.analysis.nlp import parse_all
from pipeline.analysis.objections import RISK_PATTERNS, find_risks
from pipeline.analysis.performance import PerformanceMixin
from pipeline.analysis.products import buyer_interest, detect_products
from pipeline.analysis.quality import QualityGate
from pipeline.analysis.roles import infer_speaker_roles
from pipeline.analysis.schema import validate_analysis
from pipeline.analysis.sentences import (
    BUY,
    BUYER,
    SELLER,
    UNKNOWN,
    CallBase,
    Sentence,
    clean_segments,
    make_turns,
    mentions,
)
from pipeline.analysis.stage import LOST, deal_stage
from pipeline.analysis.summary import SummaryMixin
from pipeline.analysis.text import split_sentences

_NEED = next(p for kind, p, _ in RISK_PATTERNS if kind == "need")


@dataclass
class _Call(SummaryMixin, PerformanceMixin, CallBase):
    pass


class OfflineAnalyser:
    name = "offline"

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def analyse(
        self, *, segments: list[dict[str, Any]], context: AnalysisContext
    ) -> dict[str, Any]:
        return validate_analysis(self.analyse_raw(segments=segments, context=context))

    def _read(self, segments: list[dict[str, Any]], context: AnalysisContext):
        base = local_base(context.call_start, context.timezone)
        segs = clean_segments(segments)
        roles = infer_speaker_roles(segs, context)
        for seg in segs:
            if seg["role"] not in (SELLER, BUYER):
                seg["role"] = roles.get(seg["speaker"], UNKNOWN)
        turns = make_turns(segs)
        sentences: list[Sentence] = []
        for turn in turns:
            for text in split_sentences(turn.text):
                sentence = Sentence(len(sentences), turn.index, turn.speaker, turn.role, text)
                sentence.norm, sentence.dates = find_dates(text, base=base)
                sentence.compound = self._vader.polarity_scores(text)["compound"]
                sentence.confidence = turn.confidence
                turn.sentences.append(sentence)
                sentences.append(sentence)
        for sentence, doc in zip(sentences, parse_all([s.norm for s in sentences]), strict=True):
            sentence.doc = doc
        return _Call(context=context, base=base, turns=turns, sentences=sentences), roles

    def analyse_raw(
        self, *, segments: list[dict[str, Any]], context: AnalysisContext
    ) -> dict[str, Any]:
        call, roles = self._read(segments, context)
        gate = QualityGate(call)

        trackers = {
            k.lower(): [t for t in v if isinstance(t, str) and t.strip()]
            for k, v in (context.keyword_trackers or {}).items()
            if isinstance(v, list)
        }
        finder = CompetitorFinder(
            industry=context.industry,
            hints=[
                context.agency_name,
                context.agency_description,
                *(f"{p.get('name', '')} {p.get('description', '')}" for p in context.products),
            ],
            trackers=[t for k, v in trackers.items() if "compet" in k for t in v],
            own=[context.agency_name, *(p.get("name", "") for p in context.products)],
        )
        named = {s.index: finder.find(s.index, s.text) for s in call.sentences}
        named = {i: m for i, m in named.items() if m}
        competitors = _competitor_list(call, named)

        interest = buyer_interest(call, need_pattern=_NEED)
        products = detect_products(call, interest=interest)
        qa_pairs, unanswered = call.questions()
        risks = find_risks(
            call,
            competitors=named,
            pricing_terms=[t for k, v in trackers.items() if "pric" in k or "cost" in k for t in v],
            mentions_fn=mentions,
        )
        stage = deal_stage(call, lost_by_competitor=_chosen_competitor(call, named))
        actions = [a for a in extract_actions(call) if gate.keeps(a.name, a.sentence)]
        suggested = call.suggested_actions(
            risks=risks, stage=stage, actions=actions, unanswered=unanswered
        )
        sentiment = call.sentiment()
        talk_ratio, monologue = call.talk_figures()
        summary = gate.summary(
            call.summary(products=products, risks=risks, actions=actions, stage=stage)
        )
        key_points = call.key_points(
            products=products, risks=risks, qa_pairs=qa_pairs, actions=actions
        )
        call_type, detected_type = call.call_type(stage=stage)
        performance = call.performance(
            products=products,
            risks=risks,
            actions=actions,
            qa_pairs=qa_pairs,
            unanswered=unanswered,
            talk_ratio=talk_ratio,
            monologue=monologue,
            sentiment=sentiment,
        )
        facts = call.facts(products=products)
        return {
            "call_title": call.title(products=products, stage=stage, call_type=detected_type),
            "call_summary": {"bullets": summary, "key_discussion_points": key_points},
            "call_type": call_type,
            "detected_call_type": detected_type,
            "detected_products": products,
            "qa_pairs": qa_pairs,
            "facts": facts,
            "deal_stage": stage,
            "risks": risks,
            "objections": [{"type": r["risk"], "signal": r["risk_signal"]} for r in risks],
            "competitors": competitors,
            "actions": [action_dict(a) for a in actions],
            "suggested_actions": suggested,
            "sentiment": sentiment,
            "talk_ratio": talk_ratio,
            "longest_monologue": monologue,
            "speaker_roles": roles,
            "performance": performance,
            "buyer_profile": {
                "risks": risks,
                "products_discussed": [
                    {k: p[k] for k in ("product_name", "product_id", "interest_level")}
                    for p in products
                ],
                "key_highlights": call.highlights(facts=facts, risks=risks, stage=stage),
            },
            "transcript_quality": gate.report(),
            "provider": self.name,
        }


def _competitor_list(call: _Call, named: dict[int, list]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for index, found in sorted(named.items()):
        s = call.sentences[index]
        for mention in found:
            entry = out.setdefault(
                mention.name.casefold(),
                {"name": mention.name, "mentions": 0, "said_by": [], "signals": []},
            )
            entry["mentions"] += 1
            if s.role not in entry["said_by"]:
                entry["said_by"].append(s.role)
            if len(entry["signals"]) < 3:
                entry["signals"].append(s.text)
    return list(out.values())


def _chosen_competitor(call: _Call, named: dict[int, list]) -> list[str]:
    """The buyer's sentences saying they already chose or paid a competitor."""
    import re

    chosen = re.compile(
        r"\b(?:already\s+(?:paid|joined|booked|bought|signed|enrolled|taken|finali[sz]ed|"
        r"gone\s+with|chosen|decided)|went\s+with|going\s+with|decided\s+(?:on|to\s+go\s+with|"
        r"to\s+join|to\s+take)|chose|have\s+(?:paid|joined|booked|signed|bought))\b",
        re.I,
    )
    out = []
    for index in named:
        s = call.sentences[index]
        if s.role in BUY and chosen.search(s.text) and not re.search(r"\bif\b", s.text, re.I):
            out.append(s.text)
    return out


__all__ = ["LOST", "OfflineAnalyser"]
