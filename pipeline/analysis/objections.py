"""Objections (risks) the buyer raises: price, timing, competitor, trust, need.

Read on the buyer's sentences. A competitor objection needs a competitor (``competitors.py``)
named by the buyer while weighing it (an offer, a price, a comparison, a preference, a choice);
a brand named as background (the bank that holds a loan, a brand the shop stocks) is not one.
"""

import re
from typing import Any

from pipeline.analysis.competitors import CompetitorMention
from pipeline.analysis.sentences import BUY, Sentence

RISK_PATTERNS: tuple[tuple[str, re.Pattern, str], ...] = (
    (
        "price",
        re.compile(
            r"\b(?:too\s+(?:expensive|costly|high|much|steep)|expensive|costly|"
            r"costs?\s+(?:more|a\s+lot)|pricier|cheaper|(?:can't|cannot|can\s+not)\s+afford|"
            r"out\s+of\s+(?:my|our)\s+budget|over\s+(?:my|our)\s+budget|discount|waive|waiver|"
            r"reduce\s+the\s+(?:price|premium|fee|rate)|lower\s+(?:the\s+)?(?:price|premium|fee|rate)|"
            r"not\s+worth|(?:price|premium|rate|fee|fees|emi)\s+is\s+(?:too\s+|quite\s+|very\s+)?high|"
            r"quite\s+high|very\s+high|best\s+(?:price|rate|offer|deal)|better\s+(?:price|rate|deal)|"
            r"meet\s+me\s+halfway|every\s+rupee|come\s+(?:down|closer)|do\s+better|"
            r"(?:give|add|throw\s+in)\b[^.?!]{0,40}\bfree\b|no\s+budget|tight\s+budget|"
            r"budget\s+(?:freeze|cut|cuts|is\s+tight)|(?:is|are)\s+charging|too\s+much\s+for|"
            r"(?:on\s+the\s+)?higher\s+side|a\s+lot\s+of\s+money|(?:bit|little)\s+(?:high|much|"
            r"costly|expensive)|more\s+than\s+(?:i|we)\s+(?:expected|thought|planned)|"
            r"bring\s+(?:it|the\s+\w+)\s+down|(?:reduce|lower|less|lesser)\s+(?:the\s+)?(?:rate|"
            r"price|interest|emi|fee|fees|premium|cost|charges)|not\s+affordable|"
            r"(?:interest|rate|emi|charges|cost|fee|fees)\s+(?:is|are)\s+(?:too\s+|very\s+|quite\s+"
            r")?(?:high|more|steep)|any\s+(?:discount|offer|concession)|best\s+you\s+can\s+do|"
            r"beyond\s+(?:my|our)\s+budget|pricey|steep)\b",
            re.I,
        ),
        "The buyer pushed back on price or asked for a concession",
    ),
    (
        "timing",
        re.compile(
            r"\b(?:not\s+(?:right\s+)?now|maybe\s+later|call\s+(?:me\s+)?(?:back\s+)?later|"
            r"next\s+(?:year|quarter|season)|not\s+the\s+right\s+time|no\s+time|too\s+busy|"
            r"hold\s+off|postpone|give\s+me\s+(?:some\s+)?time|too\s+early|"
            r"(?:stock|godown|shelf|space)\s+is\s+(?:already\s+)?full|no\s+space|"
            r"not\s+this\s+(?:year|month|season|time)|after\s+the\s+(?:wedding|festive|festival|"
            r"exam|harvest)\s+season|wait\s+(?:till|until)|some\s+other\s+time|later\s+in\s+the\s+year|"
            r"(?:let\s+me|i\s+(?:will|need\s+to|want\s+to))\s+think(?:\s+about\s+it)?|"
            r"need\s+(?:some\s+)?(?:more\s+)?time|in\s+a\s+few\s+months|not\s+in\s+a\s+hurry|"
            r"no\s+hurry|after\s+(?:my|the|our)\s+(?:bonus|increment|exams?|results?|harvest|"
            r"marriage|wedding)|decide\s+later|not\s+(?:this|right)\s+now)\b",
            re.I,
        ),
        "The buyer wants to delay the decision",
    ),
    (
        "trust",
        re.compile(
            r"\b(?:(?:don't|do\s+not|can't|cannot)\s+trust|not\s+sure\s+(?:i|we)\s+can\s+trust|"
            r"scam|fraud|cheated|bad\s+experience|heard\s+(?:bad|stories|complaints)|"
            r"stories\s+about|bad\s+reviews|hidden\s+(?:charges|costs|fees)|fine\s+print|"
            r"(?:claims?)\s+(?:get|gets|are|is)\s+(?:rejected|denied)|guarantee|reliable|"
            r"reputation|very\s+worried|is\s+worried|are\s+worried|stopped\s+supply|"
            r"took\s+(?:an\s+|the\s+)?advance|on\s+paper|with\s+(?:my|her|his|our)\s+own\s+eyes|"
            r"genuine|not\s+convinced|is\s+it\s+safe|how\s+(?:do|can)\s+(?:i|we)\s+(?:know|trust|be\s+sure)|"
            r"never\s+heard\s+of|not\s+heard\s+of|fake|cheat|doubt|hesitant|risky|"
            r"(?:had|have)\s+(?:a\s+)?(?:bad|terrible)|complaints?|what\s+if\s+(?:the|your|you)\b"
            r"[^.?!]{0,40}(?:close|shut|stop|fail|delay|disappear|run\s+away)|"
            r"(?:really|actually)\s+(?:come|happen|work)\?|hear(?:d)?\s+(?:that|about)\b[^.?!]{0,40}"
            r"(?:delay|problem|issue|cheat|fraud|stress|pressure))\b",
            re.I,
        ),
        "The buyer doubts the company, the product or the industry",
    ),
    (
        "need",
        re.compile(
            r"\b(?:(?:do\s+not|don't|dont|no\s+longer)\s+(?:really\s+)?need|not\s+interested|"
            r"no\s+need|(?:company|employer|office)\s+(?:has\s+started\s+)?(?:gives?|giving|"
            r"provides?)|already\s+(?:have|got|covered|bought)\s+(?:one|it|a|an|the)|"
            r"have\s+(?:one|it)\s+already|not\s+(?:useful|for\s+(?:me|us))|does\s+not\s+suit|"
            r"doesn't\s+suit|no\s+use\s+for|not\s+(?:required|necessary)|no\s+requirement|"
            r"(?:happy|fine|okay|ok|satisfied)\s+with\s+(?:my|our|the)\s+(?:current|existing|present)|"
            r"(?:don't|do\s+not)\s+see\s+the\s+(?:need|point|benefit)|doesn't\s+make\s+sense\s+for|"
            r"does\s+not\s+make\s+sense\s+for)\b",
            re.I,
        ),
        "The buyer says they do not need the product",
    ),
)
KINDS = ("price", "timing", "competitor", "trust", "need")
_WEIGHING = re.compile(
    r"\b(?:giving|gives|offering|offers?|offered|cheaper|cheap|better|less|lower|than|versus|vs|"
    r"compar\w*|prefer\w*|joining|join|joined|looking\s+at|also\s+looking|considering|"
    r"went\s+with|going\s+with|chose|chosen|choose|paid|booked|bought|signed|quote|quoted|"
    r"quoting|discount|free|already\s+has|already\s+have|shelf|why\s+should|matching|match|"
    r"similar|valid|pays?|paying|charges?|costs?|has|uses|using|looking|talking\s+to|"
    r"speaking\s+to|in\s+touch\s+with|discussing\s+with|meeting)\b",
    re.I,
)
_BACKGROUND = re.compile(
    r"\b(?:salary\s+account|eligible|eligibility|loan\s+(?:is\s+)?with|my\s+bank|holds|"
    r"mostly|keeping|stock(?:ing)?)\b",
    re.I,
)


_RULED_OUT = re.compile(
    r"\b(?:too\s+(?:expensive|costly|small|big|far)|not\s+(?:good|reliable|for\s+us)|"
    r"ruled\s+out|rejected)\b",
    re.I,
)
_FIGURE = re.compile(r"\b\d[\d,.]*\b(?!\s*(?:years?|months?|days?|weeks?|kilomet|km|percent))")


def _risk(kind: str, s: Sentence, reasoning: str) -> dict[str, str]:
    return {"risk": kind, "risk_signal": s.text, "risk_reasoning": reasoning}


def find_risks(
    call: Any,
    *,
    competitors: dict[int, list[CompetitorMention]],
    pricing_terms: list[str],
    mentions_fn: Any,
) -> list[dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    buyer = [s for s in call.sentences if s.role in BUY]
    for s in buyer:
        named = competitors.get(s.index, [])
        ruled_out = bool(named) and bool(_RULED_OUT.search(s.text))
        for kind, pattern, reasoning in RISK_PATTERNS:
            match = pattern.search(s.text)
            if not match or kind in found:
                continue
            if kind == "need" and named:
                continue  # "my shelf already has Haldiram's": weighing a competitor, not no need
            if kind == "price" and ruled_out:
                continue  # "The Innova is too expensive for us": a competitor ruled out
            found[kind] = _risk(kind, s, f'{reasoning} ("{match.group(0)}")')
        for term in pricing_terms:
            if "price" not in found and mentions_fn(term, s.text):
                found["price"] = _risk(
                    "price", s, f'The buyer raised a tracked pricing term ("{term}")'
                )
        if named and not ruled_out and "price" not in found and _FIGURE.search(s.norm):
            found["price"] = _risk("price", s, "The buyer compared the price with a competitor's")
        if named and not ruled_out and "competitor" not in found:
            turn_text = " ".join(x.text for x in call.turns[s.turn].sentences)
            weighing = _WEIGHING.search(s.text) or (
                _WEIGHING.search(turn_text) and not _BACKGROUND.search(s.text)
            )
            if weighing and not _BACKGROUND.search(s.text):
                found["competitor"] = _risk(
                    "competitor",
                    s,
                    f"The buyer is weighing {', '.join(dict.fromkeys(m.name for m in named))}",
                )
    if "need" in found and "timing" in found:
        # "I do not need it. Not right now though." - the deferral is the need objection's
        found["need"]["risk_reasoning"] += (
            f'; also deferred: "{found.pop("timing")["risk_signal"]}"'
        )
    return sorted(found.values(), key=lambda r: KINDS.index(r["risk"]))
