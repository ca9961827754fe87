"""The deal stage, from the evidence in the call, with the sentences that signalled it.

Each stage has weighted signals (who says them matters: the buyer paying, the seller confirming
a payment came in). Won and Lost are reached on outcome evidence alone: a payment, an order,
an instruction to invoice, a booking ("send the invoice, I will pay by cheque") is Won; a
choice of a competitor, a payment made elsewhere, a refusal ("already paid the fees at Allen")
is Lost. An outcome that still depends on a condition ("if the GM approves, I will pay") is a
negotiation, not a win. Otherwise the strongest of the four open stages wins, later stages
breaking ties.
"""

import re
from collections import Counter, defaultdict
from typing import Any

from pipeline.analysis.base import DEAL_STAGES
from pipeline.analysis.sentences import BUYER, SELLER, UNKNOWN

DISCOVERY, SOLUTION, STAKEHOLDER, NEGOTIATION, WON, LOST = DEAL_STAGES
_ANY = (SELLER, BUYER, UNKNOWN)
_BUY = (BUYER, UNKNOWN)
_SELL = (SELLER, UNKNOWN)
_COND = re.compile(r"\b(?:if|once|unless|provided|only\s+when|as\s+soon\s+as)\b", re.I)
_NEG = re.compile(r"\b(?:not|n't|never|no)\b", re.I)
_PEOPLE = (
    r"(?:wife|husband|spouse|family|partner|boss|manager|team|father|mother|dad|mom|papa|mummy|"
    r"son|daughter|parents|brother|sister|bhaiya|director|accountant|ca|board|cfo|ceo|owner|"
    r"in-laws|uncle|grandfather|committee|lawyer)"
)

# (stage, weight, pattern, roles, outcome: an outcome signal is void under a condition)
STAGE_SIGNALS = (
    (
        LOST,
        4,
        r"\b(?:(?:already\s+)?(?:paid|joined|booked|bought|signed|enrolled|taken|gone|purchased|"
        r"finali[sz]ed|decided)\b[^.?!]{0,40}\b(?:at|with|from|for)\s+[A-Z][\w']+|went\s+with|"
        r"going\s+with\s+[A-Z]|chose\s+[A-Z]|decided\s+(?:to\s+go\s+with|against)|not\s+interested|"
        r"(?:do\s+not|don't|no\s+longer)\s+(?:really\s+)?need|no\s+need|not\s+going\s+ahead|"
        r"drop(?:ped)?\s+the\s+(?:idea|plan)|we\s+will\s+pass|please\s+(?:do\s+not|don't)\s+call|"
        r"cancel|decided\s+not\s+to|not\s+(?:proceeding|taking\s+it|going\s+to\s+(?:take|buy|go))|"
        r"(?:closed|gone|went\s+ahead)\s+with|took\s+(?:it|the\s+\w+)\s+from)\b",
        _BUY,
        True,
    ),
    (LOST, 1, r"\b(?:not\s+(?:right\s+)?now|maybe\s+(?:some\s+other\s+time|later))\b", _BUY, False),
    (
        WON,
        4,
        r"\b(?:i\s+(?:will|'ll|shall)\s+(?:pay|transfer|send\s+the\s+(?:cheque|payment|purchase\s+"
        r"order|po))|(?:send|raise)\s+(?:me\s+)?the\s+invoice|note\s+(?:down\s+)?the\s+order|"
        r"place\s+the\s+order|book\s+it|let'?s\s+do\s+it|(?:let'?s|we\s+will|i\s+will|we'll|i'll)\s+"
        r"go\s+ahead|go\s+ahead\s+with\s+(?:the|it|this)|i'?ll\s+take\s+it|"
        r"sign\s+me\s+up|deal\s+done|(?:please\s+)?renew\s+it|i\s+(?:have\s+)?(?:paid|transferred)|"
        r"paid\s+(?:last\s+night|yesterday|today|already)|(?:let'?s|please|we\s+will|i\s+will)\s+"
        r"proceed|confirm\s+the\s+(?:order|booking)|i\s+am\s+ready\s+to\s+(?:pay|sign|book|go)|"
        r"(?:we|i)\s+(?:will|'ll)\s+go\s+with\s+(?:you|your)|i\s+(?:will|'ll)\s+sign)\b",
        _BUY,
        True,
    ),
    (
        WON,
        3,
        r"\b(?:payment\b[^.?!]{0,40}\b(?:has\s+)?(?:come\s+(?:in|through)|received|is\s+done)|"
        r"thank\s+you\s+for\s+(?:renewing|choosing|buying|purchasing|signing|your\s+(?:purchase|"
        r"payment|order|business))|(?:is|are)\s+now\s+enrolled|blocked\s+in\s+your\s+name|"
        r"(?:has|have)\s+been\s+(?:sanctioned|disbursed|issued|activated|renewed|booked)|"
        r"congratulations\s+on\s+your\s+new|booking\s+receipt|delivery\s+van|welcome\s+aboard|"
        r"(?:is|has\s+been)\s+(?:sanctioned|approved|disbursed)|payment\s+(?:is\s+)?received|"
        r"order\s+(?:is\s+)?confirmed|installation\s+(?:is\s+)?(?:scheduled|booked|fixed))\b",
        _SELL,
        False,
    ),
    (WON, 1, r"\b(?:payment\s+link|invoice|booking\s+form|receipt)\b", _ANY, False),
    (
        NEGOTIATION,
        3,
        r"\b(?:(?:go\s+ahead|proceed|sign|buy|book|pay|join)[^.?!]*\bif\s+you|waive|waiver|"
        r"discount|best\s+price|better\s+(?:price|rate|deal)|negotiat\w*|match\s+the\s+(?:price|"
        r"offer)|lower\s+(?:the\s+)?(?:price|premium|fee|rate)|meet\s+me\s+halfway|do\s+better|"
        r"come\s+closer|give\s+me\s+(?:a\s+)?(?:total|rs|\d)|(?:reduce|lower)\s+(?:the\s+)?(?:rate|"
        r"interest|emi|processing|price|fee)|final\s+(?:price|rate|offer)|best\s+(?:rate|offer)|"
        r"match\s+(?:the|their|that))",
        _BUY,
        False,
    ),
    (
        NEGOTIATION,
        2,
        r"\b(?:approval|approve|special\s+(?:price|rate|offer)|final\s+(?:price|offer|terms|"
        r"number)|sales\s+head|beyond\s+what\s+i\s+can)\b",
        _SELL,
        False,
    ),
    (
        STAKEHOLDER,
        3,
        r"\b(?:(?:talk|speak|discuss|check|consult)\s+(?:it\s+)?(?:to|with)\s+(?:my|our)\s+"
        + _PEOPLE
        + r"|(?:my|her|his|our|their)\s+(?:\w+\s+)?"
        + _PEOPLE
        + r"\b[^.?!]{0,30}\b(?:has\s+to|must|needs?\s+to|wants?\s+to|decides|will\s+decide|"
        r"is\s+(?:very\s+)?worried|is\s+asking|has\s+to\s+approve)|decision\s+is\s+not\s+"
        r"(?:only\s+)?mine|(?:i|we)\s+alone\s+cannot|cannot\s+decide\s+alone|"
        r"before\s+(?:i|we)\s+(?:sign|decide|commit|book|pay))",
        _BUY,
        False,
    ),
    (
        STAKEHOLDER,
        1,
        r"\b(?:decision\s+maker|both\s+of\s+you|on\s+speaker|you\s+and\s+your\s+"
        + _PEOPLE
        + r"|who\s+else\s+is\s+involved)\b",
        _ANY,
        False,
    ),
    (
        SOLUTION,
        2,
        r"\b(?:show\s+you|comparison|demo|walk\s+you\s+through|take\s+you\s+through|presentation|"
        r"brochure|let\s+me\s+explain|test\s+drive|samples?|trial|present|side\s+by\s+side|"
        r"site\s+(?:survey|visit)|calculation|savings?|payback|illustration|how\s+it\s+works|"
        r"quotation|proposal)\b",
        _SELL,
        False,
    ),
    (
        SOLUTION,
        1,
        r"\b(?:includes?|compare[ds]?|comparison|features?|(?:reviewed|seen|gone\s+through)\s+"
        r"(?:the|my|our|your)(?:\s+\w+){0,3}\s+(?:proposal|quote))\b",
        _ANY,
        False,
    ),
    (
        DISCOVERY,
        2,
        r"\b(?:you\s+(?:had\s+)?(?:asked|enquired|inquired)|your\s+(?:enquiry|inquiry|requirement)|"
        r"filled\s+(?:in\s+)?the\s+form|(?:i|we)\s+(?:want|need|am\s+looking\s+for|are\s+looking\s+"
        r"for)\s+(?:a|an|some)\b|looking\s+for\s+(?:a|an|my)|what\s+budget|your\s+budget|"
        r"(?:gave|got|have)\s+(?:me\s+)?your\s+number|referred\s+you|"
        r"(?:which|what)\b[^?]{0,40}\b(?:are|do)\s+you\s+(?:using|keeping|stocking|selling|"
        r"driving|taking|currently|have)|how\s+much\b[^?]{0,30}\bdo\s+you|just\s+to\s+understand|"
        r"are\s+you\s+looking\s+(?:at|for))",
        _ANY,
        False,
    ),
    (
        DISCOVERY,
        1,
        r"\b(?:how\s+much|what\s+would\s+(?:the|it)|tell\s+me\s+(?:more|about)|what\s+(?:is|are)\s+"
        r"the|send\s+me\s+a\s+quote|which\s+\w+\s+(?:are\s+you|do\s+you))\b",
        _ANY,
        False,
    ),
)
_STAGE_RE = [
    (stage, weight, re.compile(p, re.I), roles, outcome)
    for stage, weight, p, roles, outcome in STAGE_SIGNALS
]
REASONS = {
    DISCOVERY: "The buyer is stating needs and asking for prices; nothing is agreed yet",
    SOLUTION: "The seller is presenting, demonstrating or comparing the product",
    STAKEHOLDER: "Another person must agree before the buyer decides",
    NEGOTIATION: "Price and terms are being negotiated or need an approval",
    WON: "The buyer has bought, paid, ordered or booked",
    LOST: "The buyer declined or chose another option",
}
_ORDER = {DISCOVERY: 0, SOLUTION: 1, STAKEHOLDER: 2, NEGOTIATION: 3, WON: 4, LOST: 4}


def deal_stage(call: Any, *, lost_by_competitor: list[str] | None = None) -> dict[str, Any]:
    scores: Counter[str] = Counter()
    signals: dict[str, list[str]] = defaultdict(list)
    last_seen: dict[str, int] = {}
    for s in call.sentences:
        for stage, weight, pattern, roles, outcome in _STAGE_RE:
            if s.role not in roles:
                continue
            match = pattern.search(s.text)
            if not match:
                continue
            before = s.text[: match.start()]
            if outcome and (_COND.search(s.text) or _NEG.search(before[-12:])):
                if stage == WON:
                    scores[NEGOTIATION] += 1  # a conditional close is still a negotiation
                continue
            scores[stage] += weight
            last_seen[stage] = s.index
            if s.text not in signals[stage]:
                signals[stage].append(s.text)
    for sentence in lost_by_competitor or []:
        scores[LOST] += 4
        signals[LOST].append(sentence)
    if not scores:
        return {
            "deal_stage": DISCOVERY,
            "stage_signals": [],
            "stage_reasoning": ["No buying, negotiation or decision signals yet: early discovery"],
        }
    outcome = [st for st in (WON, LOST) if scores[st] >= 4]
    if outcome:
        stage = max(outcome, key=lambda st: (scores[st], last_seen.get(st, -1)))
    else:
        open_stages = [st for st in scores if st not in (WON, LOST)] or list(scores)
        stage = max(open_stages, key=lambda st: (scores[st], _ORDER[st], last_seen.get(st, -1)))
    reasoning = [f"{REASONS[stage]} (signal weight {scores[stage]})"]
    runner = [st for st in scores.most_common(3) if st[0] != stage]
    if runner:
        reasoning.append("Also seen: " + ", ".join(f"{st} ({w})" for st, w in runner))
    return {"deal_stage": stage, "stage_signals": signals[stage][:5], "stage_reasoning": reasoning}
