"""The offline analyser: a rule-based reading of a sales call, with no network and no model files.

Parts: sentences from the transcript's turns; ``rapidfuzz`` to find the agency's products and
features (tolerant of speech-recognition spelling); ``text2num`` + ``dateparser`` for due dates
relative to the call's start in the agency's timezone (``dates.py``); VADER (``vaderSentiment``,
lexicon shipped in the package) for sentiment; patterns for questions, commitments, requests,
objections and deal-stage signals; TextRank over TF-IDF sentence vectors for the extractive
summary; rule-based performance scores whose reasons quote the evidence.

Speaker roles: when a segment's role is unknown, each speaker label is scored on evidence — who
introduces themselves with the agency's or the seller's name, who names the catalogue's products and
commits to send things (seller), who addresses the seller by name, asks about the price and asks
to be sent things (buyer). With one label for the whole call nothing can be told apart and the
roles stay ``unknown``; the analysis then reads every sentence as either side's.
"""

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import fmean
from typing import Any

from rapidfuzz import fuzz, process
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from meetings.analysis.base import DEAL_STAGES, AnalysisContext
from meetings.analysis.dates import DateMention, find_dates, local_base
from meetings.analysis.schema import validate_analysis
from meetings.analysis.text import content_stems, shorten, split_sentences, words
from meetings.models import PERFORMANCE_METRICS

SELLER, BUYER, UNKNOWN = "seller", "buyer", "unknown"
DISCOVERY, SOLUTION, STAKEHOLDER, NEGOTIATION, WON, LOST = DEAL_STAGES

# Verbs that make a commitment or a request an action item ("I will email...", "send me...").
ACTION_VERBS = frozenset(
    """
    send email mail share call check confirm set arrange book schedule get follow prepare forward
    update whatsapp message text visit meet discuss review process renew ask talk speak connect
    organise organize submit raise look find fix reach ping drop deliver show demo walk explain
    collect calculate compute revise recheck verify enquire inquire add include cancel upgrade
    transfer register enroll enrol activate issue dispatch courier remind fill complete apply
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_COMMIT = re.compile(
    r"\b(?:i|we)\s*(?:will|'ll|shall|am\s+going\s+to|'m\s+going\s+to|are\s+going\s+to|"
    r"'re\s+going\s+to|can|would)\s+(?:(?:also|definitely|just|quickly|personally|then|surely|"
    r"now|first|try\s+to|be\s+able\s+to)\s+)*(?P<verb>[a-z]+)"
    r"|\blet\s+me\s+(?:(?:also|just|quickly|first)\s+)*(?P<verb2>[a-z]+)",
    re.I,
)
_JOINT = re.compile(r"\blet(?:'s|\s+us)\s+(?:(?:also|just|then)\s+)*(?P<verb>[a-z]+)", re.I)
_OBLIGATION = re.compile(r"\b(?:i|we)\s+(?:need|have)\s+to\s+(?P<verb>[a-z]+)", re.I)
_REQUEST = re.compile(
    r"\b(?:please|kindly|can\s+you|could\s+you|would\s+you|will\s+you|can\s+u)\s+"
    r"(?:(?:also|just|please|kindly|quickly)\s+)*(?P<verb>[a-z]+)"
    r"|(?:^|[,;:]\s*|\band\s+|\bokay,?\s+|\bso,?\s+|\byes,?\s+|\bthen\s+)"
    r"(?P<verb2>send|email|mail|share|whatsapp|forward|book|schedule|arrange|call)\s+"
    r"(?=me\b|us\b|it\b|the\b|a\b|an\b|both\b|your\b|over\b|across\b)",
    re.I,
)
# A clause ends at a sentence break or where a new subject starts ("..., she is travelling").
_CLAUSE_END = re.compile(
    r"[.?!;](?:\s|$)|,\s+(?=(?:she|he|they|it|this|that|there|i|we)\s+(?:is|are|was|were|will|"
    r"'ll|'s|am|has|have|had|can|could|would|might|may|need)\b)",
    re.I,
)
_CONDITIONAL_START = re.compile(r"^\s*(?:if|in case|whenever|should you)\b", re.I)
# A clause ends at a sentence break; the action's core ends before a subordinate clause.
_SUBORDINATE = re.compile(
    r"\s+(?:once|when|whenever|after|as soon as|so that|because|since|while|unless|before i)\b.*$",
    re.I,
)
_COORDINATED = re.compile(
    r",?\s+and\s+(?:then\s+)?(?:(?:i|we)\s*(?:will|'ll|shall|can|could|would|am\s+going\s+to|"
    r"are\s+going\s+to)\s+)?(?:also\s+)?(?=(?P<verb>[a-z]+)\b)",
    re.I,
)
_PURPOSE_BEFORE = re.compile(r"\bso(?:\s+that)?\s+$", re.I)
_DONE_REPLY = re.compile(r"^\s*(?:done|already done|it'?s done|i have (?:already )?\w+ed)\b", re.I)
_QUESTION_START = re.compile(
    r"^\s*(?:and\s+|so\s+|but\s+|okay,?\s+|also,?\s+)?(?:what|how|when|where|why|which|who|whom|"
    r"whose|can|could|would|will|do|does|did|is|are|was|were|shall|should|may|have|has|any)\b",
    re.I,
)
_GREETING = re.compile(
    r"\b(?:hello|hi|hey|good\s+(?:morning|afternoon|evening)|namaste|namaskar)\b", re.I
)
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

# Objections and risks: (kind, pattern, reasoning). Checked on the buyer's sentences.
RISK_PATTERNS = (
    (
        "price",
        re.compile(
            r"\b(?:too\s+(?:expensive|costly|high|much)|expensive|costly|costs?\s+(?:more|a lot)|"
            r"pricier|cheaper|(?:can't|cannot|can\s+not)\s+afford|out\s+of\s+(?:my|our)\s+budget|"
            r"over\s+(?:my|our)\s+budget|discount|waive|reduce\s+the\s+(?:price|premium|fee)|"
            r"lower\s+(?:the\s+)?(?:price|premium|fee)|(?:not\s+sure|doubt)\s+(?:it\s+is|it's)\s+"
            r"worth|not\s+worth|price\s+is\s+(?:too\s+)?high|premium\s+is\s+(?:too\s+)?high|"
            r"best\s+price|better\s+(?:price|rate|deal)|(?:for|at)\s+(?:a\s+)?(?:less|lower)\s+"
            r"(?:money|price|cost)|budget\s+(?:freeze|cut|cuts|is\s+tight)|no\s+budget|tight\s+budget)\b",
            re.I,
        ),
        "The buyer pushed back on price or asked for a concession",
    ),
    (
        "competitor",
        re.compile(
            r"\b(?:competitor|another\s+(?:company|agency|insurer|provider|vendor|broker)|"
            r"other\s+(?:company|companies|agency|insurer|provider|vendors?)|"
            r"better\s+offer|(?:quote|offer)\s+from\s+[A-Z]\w+|elsewhere)\b",
            re.I,
        ),
        "The buyer is weighing a competitor",
    ),
    (
        "timing",
        re.compile(
            r"\b(?:not\s+(?:right\s+)?now|maybe\s+later|call\s+(?:me\s+)?(?:back\s+)?later|"
            r"next\s+(?:year|quarter)|not\s+the\s+right\s+time|no\s+time|too\s+busy|hold\s+off|"
            r"postpone|give\s+me\s+(?:some\s+)?time|after\s+(?:diwali|the\s+holidays|the\s+festival))\b",
            re.I,
        ),
        "The buyer wants to delay the decision",
    ),
    (
        "trust",
        re.compile(
            r"\b(?:(?:don't|do\s+not|can't|cannot)\s+trust|not\s+sure\s+(?:i|we)\s+can\s+trust|"
            r"scam|fraud|bad\s+experience|heard\s+bad|bad\s+reviews|hidden\s+(?:charges|costs|fees)|"
            r"fine\s+print|(?:claims?|claim)\s+(?:get|gets|are|is)\s+(?:rejected|denied)|"
            r"reliable|reputation|guarantee)\b",
            re.I,
        ),
        "The buyer doubts the company or the product",
    ),
    (
        "need",
        re.compile(
            r"\b(?:(?:do\s+not|don't|dont|no\s+longer)\s+(?:really\s+)?need|not\s+interested|"
            r"no\s+need|already\s+(?:have|got|has|covered|bought)|have\s+(?:one|it)\s+already)\b",
            re.I,
        ),
        "The buyer says they do not need the product",
    ),
)
_COMPETITOR_NAME = re.compile(
    r"\b(?:than|versus|vs\.?|compared\s+(?:to|with)|from|with)\s+"
    r"(?P<name>(?!I\b|It\b|The\b|This\b|That\b|You\b|Your\b|My\b|Our\b)[A-Z][a-zA-Z]+"
    r"(?:\s+[A-Z][a-zA-Z]+)*)"
)

# Deal-stage signals: (stage, weight, pattern, roles it counts for).
_ANY = (SELLER, BUYER, UNKNOWN)
_BUY = (BUYER, UNKNOWN)
_SELL = (SELLER, UNKNOWN)
STAGE_SIGNALS = (
    (
        LOST,
        3,
        r"\b(?:(?:do\s+not|don't|no\s+longer)\s+(?:really\s+)?need|not\s+interested|"
        r"no\s+thanks|went\s+with|bought\s+(?:it\s+)?(?:from|elsewhere)|cancel|already\s+(?:have|"
        r"bought|got))\b",
        _BUY,
    ),
    (LOST, 1, r"\b(?:not\s+(?:right\s+)?now|maybe\s+(?:some\s+other\s+time|later))\b", _BUY),
    (
        WON,
        3,
        r"\b(?:(?:please\s+)?renew\s+it|go\s+ahead(?!\s+if)(?![^.]*\bif\b)|let'?s\s+do\s+it|"
        r"i'?ll\s+take\s+it|sign\s+me\s+up|where\s+do\s+i\s+pay|i\s+(?:will|'ll)\s+(?:buy|pay|"
        r"take)|(?:i|we)\s+(?:agree|accept)|deal\s+done)\b",
        _BUY,
    ),
    (
        WON,
        2,
        r"\bthank\s+you\s+for\s+(?:renewing|choosing|buying|purchasing|signing|your\s+"
        r"(?:purchase|payment|business))\b",
        _SELL,
    ),
    (
        WON,
        1,
        r"\b(?:payment\s+link|policy\s+(?:number|document)|welcome\s+(?:aboard|kit)|"
        r"(?:have|has)\s+been\s+(?:issued|activated|renewed))\b",
        _ANY,
    ),
    (
        NEGOTIATION,
        3,
        r"\b(?:(?:go\s+ahead|proceed|sign|buy|take\s+it)[^.?!]*\bif\s+you|"
        r"waive|discount|best\s+price|better\s+(?:price|rate|deal)|negotiat\w*|match\s+the\s+"
        r"(?:price|offer)|lower\s+(?:the\s+)?(?:price|premium|fee))\b",
        _BUY,
    ),
    (
        NEGOTIATION,
        2,
        r"\b(?:approval|approve|special\s+(?:price|rate|offer)|final\s+(?:price|"
        r"offer|terms))\b",
        _SELL,
    ),
    (
        STAKEHOLDER,
        3,
        r"\b(?:talk|speak|discuss|check|consult)\s+(?:it\s+)?(?:to|with)\s+my\s+"
        r"(?:wife|husband|spouse|family|partner|boss|manager|team|father|mother|dad|mom|son|"
        r"daughter|parents|director|accountant|ca|board|cfo|ceo)\b",
        _BUY,
    ),
    (
        STAKEHOLDER,
        1,
        r"\b(?:before\s+i\s+(?:sign|decide|commit)|decision\s+maker|both\s+of\s+you|"
        r"you\s+and\s+your\s+(?:wife|husband|spouse|family|partner|boss|manager|team))\b",
        _ANY,
    ),
    (
        SOLUTION,
        2,
        r"\b(?:show\s+you|comparison|(?<!set\sup\sa\s)(?<!schedule\sa\s)(?<!book\sa\s)"
        r"(?<!arrange\sa\s)demo|walk\s+you\s+through|presentation|brochure)\b",
        _SELL,
    ),
    (
        SOLUTION,
        1,
        r"\b(?:includes?|compare[ds]?|comparison|covers?\s+(?:you|your)|(?:reviewed|review|"
        r"seen|read|gone\s+through|look\s+at)\s+(?:the|my|our|your)(?:\s+\w+){0,3}\s+(?:proposal|quote))\b",
        _ANY,
    ),
    (
        DISCOVERY,
        2,
        r"\b(?:you\s+asked\s+about|your\s+(?:enquiry|inquiry)|(?:i|we)\s+(?:want|need|"
        r"am\s+looking\s+for|are\s+looking\s+for)\s+(?:a|an|some)\b|looking\s+for\s+(?:a|an))",
        _ANY,
    ),
    (
        DISCOVERY,
        1,
        r"\b(?:what\s+would\s+(?:the|it)|how\s+much|send\s+me\s+a\s+quote|for\s+your\s+"
        r"age|tell\s+me\s+(?:more|about)|what\s+(?:is|are)\s+the|(?:set\s+up|schedule|book|arrange)\s+"
        r"a\s+demo|filled\s+in\s+the\s+form|send\s+(?:me\s+|you\s+)?(?:a|the|your)\s+(?:quote|proposal)|we\s+(?:currently\s+)?(?:use|track|have\s+a\s+team))\b",
        _ANY,
    ),
)
_STAGE_RE = [
    (stage, weight, re.compile(p, re.I), roles) for stage, weight, p, roles in STAGE_SIGNALS
]
_STAGE_REASONS = {
    DISCOVERY: "The buyer is stating needs and asking for prices or quotes; nothing is agreed yet",
    SOLUTION: "The seller is presenting and comparing the product against the buyer's options",
    STAKEHOLDER: "The buyer needs another person to agree before deciding",
    NEGOTIATION: "Terms are being negotiated or need an approval before the buyer commits",
    WON: "The buyer agreed to buy or renew",
    LOST: "The buyer declined or does not need the product",
}
_STAGE_TITLE = {
    DISCOVERY: "enquiry",
    SOLUTION: "solution discussion",
    STAKEHOLDER: "follow-up with decision makers",
    NEGOTIATION: "negotiation",
    WON: "closing",
    LOST: "follow-up (declined)",
}
_POSITIVE_INTEREST = re.compile(
    r"\b(?:i\s+want|i\s+would\s+like|interested|yes|renew|go\s+ahead|send\s+me|please\s+\w+|"
    r"sounds\s+good|let'?s|book|buy|sign)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:not\s+sure|maybe|i\s+will\s+decide|think\s+about|talk\s+to\s+my|before\s+i|if\s+you)\b",
    re.I,
)
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


@dataclass
class Candidate:
    """One proposed action before merging: a commitment, a request or a joint plan."""

    kind: str  # "commitment" | "request" | "joint"
    sentence: Sentence
    clause: str
    core: str
    name: str
    due: datetime | None
    stems: set[str]
    done_in_call: bool = False
    context: str = ""
    description: str = ""
    reasoning: str = ""
    signals: list[str] = field(default_factory=list)


class OfflineAnalyser:
    name = "offline"

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    # ---- entry point -------------------------------------------------------------------
    def analyse(
        self, *, segments: list[dict[str, Any]], context: AnalysisContext
    ) -> dict[str, Any]:
        return validate_analysis(self.analyse_raw(segments=segments, context=context))

    def analyse_raw(
        self, *, segments: list[dict[str, Any]], context: AnalysisContext
    ) -> dict[str, Any]:
        base = local_base(context.call_start, context.timezone)
        segs = _clean_segments(segments)
        roles = infer_speaker_roles(segs, context)
        for seg in segs:
            if seg["role"] not in (SELLER, BUYER):
                seg["role"] = roles.get(seg["speaker"], UNKNOWN)
        turns = _turns(segs)
        sentences: list[Sentence] = []
        for turn in turns:
            for text in split_sentences(turn.text):
                sentence = Sentence(len(sentences), turn.index, turn.speaker, turn.role, text)
                sentence.norm, sentence.dates = find_dates(text, base=base)
                sentence.compound = self._vader.polarity_scores(text)["compound"]
                turn.sentences.append(sentence)
                sentences.append(sentence)
        call = _Call(context=context, base=base, turns=turns, sentences=sentences)

        products = call.detect_products()
        qa_pairs, unanswered = call.questions()
        risks = call.risks()
        stage = call.deal_stage()
        actions = call.actions()
        suggested = call.suggested_actions(
            risks=risks, stage=stage, actions=actions, unanswered=unanswered
        )
        sentiment = call.sentiment()
        talk_ratio, monologue = call.talk_figures()
        summary = call.summary(products=products, risks=risks, actions=actions, stage=stage)
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
            "actions": [_action_dict(a) for a in actions],
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
            "provider": self.name,
        }


# ---- segments, turns and roles -----------------------------------------------------------
def _clean_segments(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
            }
        )
    return cleaned


def _turns(segs: list[dict[str, Any]]) -> list[Turn]:
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
    return turns


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0].lower() if parts else ""


def _agency_tokens(agency_name: str) -> list[str]:
    """The distinctive words of the agency's name ("SecureLife Insurance" -> ["securelife"])."""
    generic = {
        "insurance",
        "agency",
        "pvt",
        "ltd",
        "limited",
        "inc",
        "llc",
        "services",
        "the",
        "group",
        "company",
        "co",
        "private",
        "realty",
        "and",
        "solutions",
    }
    tokens = [w for w in words(agency_name) if w not in generic and len(w) > 2]
    return tokens or [w for w in words(agency_name) if len(w) > 2]


def _says(text: str, token: str, cutoff: float = 85) -> bool:
    """Whether ``token`` (one word) is said in ``text``, tolerating recognition spelling."""
    if not token:
        return False
    found = process.extractOne(token, words(text), scorer=fuzz.ratio, score_cutoff=cutoff)
    return found is not None


def infer_speaker_roles(segs: list[dict[str, Any]], context: AnalysisContext) -> dict[str, str]:
    """``{speaker label: role}``; known roles are kept, unknown ones inferred from evidence."""
    labels: list[str] = []
    known: dict[str, str] = {}
    texts: dict[str, list[str]] = defaultdict(list)
    for seg in segs:
        if seg["speaker"] not in labels:
            labels.append(seg["speaker"])
        if seg["role"] in (SELLER, BUYER):
            known.setdefault(seg["speaker"], seg["role"])
        texts[seg["speaker"]].append(seg["text"])
    unknown = [label for label in labels if label not in known]
    roles = dict(known)
    if not unknown:
        return {label: roles[label] for label in labels}
    if len(labels) < 2:
        return {label: roles.get(label, UNKNOWN) for label in labels}

    seller_first = _first_name(context.seller_name)
    buyer_first = _first_name(context.buyer_name)
    agency = _agency_tokens(context.agency_name)
    product_names = [p.get("name", "") for p in context.products if p.get("name")]
    score: dict[str, float] = {}
    for label in unknown:
        text = " ".join(texts[label])
        lower = text.lower()
        s = 0.0
        if any(_says(text, token) for token in agency):
            s += 3
        intro = re.search(
            r"\b(?:this\s+is|my\s+name\s+is|i\s+am|i'm)\s+(\w+)|\b(\w+)\s+(?:here|from)\b", lower
        )
        if seller_first and intro and seller_first in (intro.group(1), intro.group(2)):
            s += 3
        if buyer_first and intro and buyer_first in (intro.group(1), intro.group(2)):
            s -= 3
        if buyer_first and _says(text, buyer_first, 90):
            s += 1
        if (
            seller_first
            and _says(text, seller_first, 90)
            and not (intro and seller_first in intro.groups())
        ):
            s -= 2  # addressing the seller by name
        s += min(
            2, sum(1 for name in product_names if fuzz.partial_ratio(name.lower(), lower) >= 90)
        )
        s += min(
            2,
            len(re.findall(r"\b(?:i|we)\s*(?:will|'ll)\s+(?:send|email|share|check|call)", lower)),
        )
        s -= min(
            2,
            len(
                re.findall(
                    r"\b(?:how\s+much|what\s+would\s+the\s+(?:premium|price|cost)|"
                    r"send\s+me|can\s+you\s+(?:also\s+)?(?:send|check|share))",
                    lower,
                )
            ),
        )
        score[label] = s
    if not known:
        ranked = sorted(unknown, key=lambda lab: score[lab], reverse=True)
        if score[ranked[0]] <= score[ranked[-1]]:
            return {label: UNKNOWN for label in labels}  # no evidence tells them apart
        roles[ranked[0]] = SELLER
        rest = ranked[1:]
        if len(rest) == 1:
            roles[rest[0]] = BUYER
        else:
            roles[rest[-1]] = BUYER
    else:
        other = BUYER if SELLER in known.values() else SELLER
        for label in unknown:
            if (
                len(labels) == 2
                or (other == BUYER and score[label] < 0)
                or (other == SELLER and score[label] > 0)
            ):
                roles[label] = other  # in a two-party call the other label is the other side
    return {label: roles.get(label, UNKNOWN) for label in labels}


def _action_dict(c: Candidate) -> dict[str, Any]:
    return {
        "action_name": c.name,
        "due_date": c.due.isoformat() if c.due else None,
        "description": c.description or c.clause,
        "reasoning": c.reasoning,
        "signals": c.signals or [c.sentence.text],
    }


def _capitalise(text: str) -> str:
    text = text.strip(" ,;:.")
    return text[:1].upper() + text[1:] if text else text


# ---- the call --------------------------------------------------------------------------------
@dataclass
class _Call:
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

    # ---- products --------------------------------------------------------------------------
    def detect_products(self) -> list[dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        feature_only: dict[int, dict[str, Any]] = {}
        aliases = product_aliases(self.context.products, self.context.agency_name)
        for index, product in enumerate(self.context.products):
            name = str(product.get("name") or "").strip()
            if not name:
                continue
            mentions = [
                s
                for s in self.sentences
                if any(_mentions(alias, s.text) for alias in aliases[index])
            ]
            features = []
            for feature in product.get("features") or []:
                fname = str(
                    feature.get("name") if isinstance(feature, dict) else feature or ""
                ).strip()
                if fname and any(_mentions(fname, s.text) for s in self.sentences):
                    features.append(fname)
            entry = {
                "product_id": str(product["id"]) if product.get("id") else None,
                "product_name": name,
                "features": features,
                "mentions": len(mentions),
                "_sentences": mentions,
            }
            if mentions:
                found[index] = entry
            elif features:
                feature_only[index] = entry
        if not found:  # features alone name a product only when no product was named outright
            found = feature_only
        interest = self._interest()
        result = []
        for entry in found.values():
            entry.pop("_sentences")
            entry["mentions"] = max(entry["mentions"], 1)
            entry["interest_level"] = interest
            result.append(entry)
        result.sort(key=lambda p: -p["mentions"])
        return result

    def _interest(self) -> str:
        buyer = self._by(BUYER, UNKNOWN)
        if any(kind == "need" and p.search(s.text) for s in buyer for kind, p, _ in RISK_PATTERNS):
            return "low"
        positive = sum(1 for s in buyer if _POSITIVE_INTEREST.search(s.text))
        hedges = sum(1 for s in buyer if _HEDGE.search(s.text))
        if positive and not hedges:
            return "high"
        if positive or hedges:
            return "medium"
        return "low" if all(s.compound < 0 for s in buyer) and buyer else "medium"

    # ---- questions ---------------------------------------------------------------------------
    def _is_question(self, s: Sentence) -> bool:
        return s.text.rstrip().endswith("?") or (
            bool(_QUESTION_START.search(s.text)) and not s.text.rstrip().endswith((".", "!"))
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

    # ---- risks ---------------------------------------------------------------------------
    def risks(self) -> list[dict[str, str]]:
        trackers = {
            k.lower(): [t for t in v if isinstance(t, str) and t.strip()]
            for k, v in (self.context.keyword_trackers or {}).items()
        }
        competitor_terms = [t for k, v in trackers.items() if "compet" in k for t in v]
        pricing_terms = [t for k, v in trackers.items() if "pric" in k or "cost" in k for t in v]
        own = {p.get("name", "").lower() for p in self.context.products} | {
            self.context.agency_name.lower()
        }
        found: dict[str, dict[str, str]] = {}
        for s in self._by(BUYER, UNKNOWN):
            for kind, pattern, reasoning in RISK_PATTERNS:
                match = pattern.search(s.text)
                if match and kind not in found:
                    found[kind] = _risk(kind, s, f'{reasoning} ("{match.group(0)}")')
            for term in pricing_terms:
                if "price" not in found and _mentions(term, s.text):
                    found["price"] = _risk(
                        "price", s, f'The buyer raised a tracked pricing term ("{term}")'
                    )
            for term in competitor_terms:
                if "competitor" not in found and _mentions(term, s.text):
                    found["competitor"] = _risk(
                        "competitor", s, f"The buyer mentioned the competitor {term}"
                    )
            match = _COMPETITOR_NAME.search(s.text)
            if match and "competitor" not in found:
                name = match.group("name")
                ours = name.lower() in own or any(_mentions(name, o) for o in own if o)
                compared = re.search(r"\b(?:than|versus|vs|compared)\b", s.text, re.I)
                if not ours and s.role in _BUY and compared:
                    found["competitor"] = _risk(
                        "competitor", s, f"The buyer compared the offer with {name}"
                    )
        if "need" in found and "timing" in found:
            # "I do not need it. Not right now though." - the deferral is the need objection's
            found["need"]["risk_reasoning"] += (
                f'; also deferred: "{found.pop("timing")["risk_signal"]}"'
            )
        order = {kind: i for i, (kind, _, _) in enumerate(RISK_PATTERNS)}
        return sorted(found.values(), key=lambda r: order[r["risk"]])

    # ---- deal stage ------------------------------------------------------------------------
    def deal_stage(self) -> dict[str, Any]:
        scores: Counter[str] = Counter()
        last_seen: dict[str, int] = {}
        signals: dict[str, list[str]] = defaultdict(list)
        for s in self.sentences:
            for stage, weight, pattern, roles in _STAGE_RE:
                if s.role in roles and pattern.search(s.text):
                    scores[stage] += weight
                    last_seen[stage] = s.index
                    if s.text not in signals[stage]:
                        signals[stage].append(s.text)
        if not scores:
            return {
                "deal_stage": DISCOVERY,
                "stage_signals": [],
                "stage_reasoning": [
                    "No buying, negotiation or decision signals yet: early discovery"
                ],
            }
        stage = max(scores, key=lambda st: (scores[st], last_seen[st]))
        reasoning = [f"{_STAGE_REASONS[stage]} (signal weight {scores[stage]})"]
        runner = [st for st in scores.most_common(3) if st[0] != stage]
        if runner:
            reasoning.append("Also seen: " + ", ".join(f"{st} ({w})" for st, w in runner))
        return {
            "deal_stage": stage,
            "stage_signals": signals[stage][:5],
            "stage_reasoning": reasoning,
        }

    # ---- actions ---------------------------------------------------------------------------
    def _pronouns(self, text: str, kind: str) -> str:
        buyer = self.buyer_label
        text = re.sub(r"\byour\b", f"{buyer}'s", text, flags=re.I)
        text = re.sub(r"\byou\b", buyer, text, flags=re.I)
        if kind == "request":
            text = re.sub(r"\b(?:me|us)\b", buyer, text, flags=re.I)
            text = re.sub(r"\bmy\b", f"{buyer}'s", text, flags=re.I)
        return text

    def _candidate(
        self, kind: str, s: Sentence, clause: str, dates: list[DateMention]
    ) -> Candidate:
        undated = clause
        for mention in dates:
            undated = undated.replace(mention.phrase, " ")
        core = _SUBORDINATE.sub("", " ".join(undated.split())).strip(" ,.")
        name = core
        name = re.sub(r"\b(?:as\s+well|too|also|please|then)\b", " ", name, flags=re.I)
        name = re.sub(
            r"\s+(?:by|on|at|in|for|before|until|till|within|around)\s*$",
            "",
            " ".join(name.split()),
        )
        name = re.sub(
            r"\s+(?:by|on|at|in|for|before|until|till|within|around)(?=\s*(?:,|and\b))", "", name
        )
        name = _capitalise(self._pronouns(" ".join(name.split()), kind))
        return Candidate(
            kind=kind,
            sentence=s,
            clause=clause.strip(" ,"),
            core=core,
            name=shorten(name, 120),
            due=dates[0].when if dates else None,
            stems=content_stems(core),
        )

    def _clauses(self, s: Sentence, start: int) -> tuple[list[tuple[str, list[DateMention]]], int]:
        """The action clause from ``start`` (and where it ends), split at "and <verb>" when each
        part has its own date ("send the sheet on the 25th, and call you on Thursday")."""
        rest = s.norm[start:]
        end = _CLAUSE_END.search(rest)
        rest = rest[: end.start()] if end else rest
        dates = [m for m in s.dates if start <= m.start < start + len(rest)]
        pieces = [rest]
        for match in _COORDINATED.finditer(rest):
            if match.group("verb").lower() not in ACTION_VERBS:
                continue
            left, right = rest[: match.start()], rest[match.end() :]
            left_dates = [m for m in dates if m.start - start < match.start()]
            right_dates = [m for m in dates if m.start - start >= match.end()]
            if left_dates and right_dates:
                pieces = [left, right]
                break
        out, offset = [], start
        for piece in pieces:
            piece_start = s.norm.find(piece, offset)
            piece_dates = [m for m in dates if piece_start <= m.start < piece_start + len(piece)]
            out.append((piece, piece_dates))
            offset = piece_start + len(piece)
        return out, start + len(rest)

    def _candidates(self) -> list[Candidate]:
        candidates: list[Candidate] = []
        for s in self.sentences:
            if _CONDITIONAL_START.search(s.text):
                continue  # "If you ever need a top up plan, please call me": an offer, not a task
            found: list[tuple[str, int]] = []
            if s.role in _SELL:
                for m in _COMMIT.finditer(s.norm):
                    verb = (m.group("verb") or m.group("verb2") or "").lower()
                    if _PURPOSE_BEFORE.search(s.norm[: m.start()]):
                        continue  # "send them so I can show my director": a purpose, not a promise
                    if verb in ACTION_VERBS:
                        found.append(
                            ("commitment", m.start("verb") if m.group("verb") else m.start("verb2"))
                        )
                if s.role == SELLER:
                    for m in _OBLIGATION.finditer(s.norm):
                        if m.group("verb").lower() in ACTION_VERBS:
                            found.append(("commitment", m.start("verb")))
            for m in _JOINT.finditer(s.norm):
                if m.group("verb").lower() in ACTION_VERBS:
                    found.append(("joint", m.start("verb")))
            if s.role in _BUY:
                for m in _REQUEST.finditer(s.norm):
                    verb = (m.group("verb") or m.group("verb2") or "").lower()
                    if verb in ACTION_VERBS:
                        found.append(
                            ("request", m.start("verb") if m.group("verb") else m.start("verb2"))
                        )
            covered_until = -1
            for kind, start in sorted(found, key=lambda f: f[1]):
                if start < covered_until:
                    continue  # a second trigger inside a clause already taken
                clauses, covered_until = self._clauses(s, start)
                for clause, dates in clauses:
                    candidate = self._candidate(kind, s, clause, dates)
                    if kind == "request":
                        candidate.done_in_call = self._done_in_call(s)
                    candidate.context = self._context_before(s, candidate)
                    candidates.append(candidate)
        return candidates

    def _context_before(self, s: Sentence, candidate: Candidate) -> str:
        """For a commitment with no topic of its own ("I will get back to you by Friday"), the
        sentences before it in the same turn say what it is about."""
        if candidate.stems:
            return ""
        before = [x.text for x in self.sentences if x.turn == s.turn and x.index < s.index]
        return " ".join(before[-2:])

    def _done_in_call(self, s: Sentence) -> bool:
        """The other side answered "Done." / "I have booked it": completed during the call."""
        reply = next(
            (t for t in self.turns[s.turn + 1 : s.turn + 2] if self._other(t.speaker, s.speaker)),
            None,
        )
        return bool(reply and _DONE_REPLY.search(reply.text))

    def actions(self) -> list[Candidate]:
        groups: list[list[Candidate]] = []
        for candidate in self._candidates():
            if candidate.done_in_call and (candidate.due is None or candidate.due <= self.base):
                continue
            for group in groups:
                if any(_same_task(candidate, other) for other in group):
                    group.append(candidate)
                    break
            else:
                groups.append([candidate])
        actions = []
        titles: set[str] = set()
        for group in groups:
            action = _merge(group)
            title = action.name
            n = 2
            while title.lower() in titles:  # titles identify actions on re-analysis: keep unique
                title = f"{action.name} ({n})"
                n += 1
            titles.add(title.lower())
            action.name = title
            actions.append(action)
        return actions

    def suggested_actions(
        self,
        *,
        risks: list[dict[str, str]],
        stage: dict[str, Any],
        actions: list[Candidate],
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
            if s.role in _BUY:
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
        rank = _textrank([s.text for s in candidates])
        evidence = {r["risk_signal"] for r in risks} | set(stage["stage_signals"])
        evidence |= {a.sentence.text for a in actions}
        product_names = [p["product_name"] for p in products]
        scored = []
        for s, r in zip(candidates, rank, strict=True):
            boost = 1.0
            if s.text in evidence:
                boost += 0.6
            if any(_mentions(name, s.text) for name in product_names):
                boost += 0.3
            if s.dates:
                boost += 0.2
            if _GREETING.search(s.text) and len(s.text.split()) < 8:
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

    # ---- performance ---------------------------------------------------------------------
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
            return _metric(0, "No seller speech was identified")
        first_turn = seller[0].turn
        opening = " ".join(s.text for s in seller if s.turn == first_turn)
        parts, score = [], 0
        if _GREETING.search(opening):
            score += 2
            parts.append("greeting")
        seller_first = _first_name(self.context.seller_name)
        if (seller_first and _says(opening, seller_first, 90)) or re.search(
            r"\b(?:this\s+is|my\s+name\s+is)\s+\w+", opening, re.I
        ):
            score += 3
            parts.append("own name")
        if any(_says(opening, t) for t in _agency_tokens(self.context.agency_name)):
            score += 3
            parts.append("agency name")
        if _PURPOSE.search(opening) or any(
            _mentions(p.get("name", ""), opening) for p in self.context.products if p.get("name")
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
        return _metric(score, reason)

    def _rapport(self, seller: list[Sentence], sentiment: dict[str, Any]) -> dict[str, Any]:
        buyer_first = _first_name(self.context.buyer_name)
        name_uses = sum(1 for s in seller if buyer_first and _says(s.text, buyer_first, 90))
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
        return _metric(score, "Seller " + "; ".join(evidence))

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
        return _metric(score, reason)

    def _script(self, seller_text, products, risks, actions) -> dict[str, Any]:
        steps = {
            "introduction": bool(_GREETING.search(seller_text)),
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
        return _metric(score, reason)

    def _objections(self, risks) -> tuple[dict[str, Any], dict[str, Any]]:
        if not risks:
            return (
                _metric(7, "No objections were raised, so none needed handling (neutral score)"),
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
        return _metric(score, "; ".join(parts)), analysis

    def _pricing(self, seller: list[Sentence], risks) -> dict[str, Any]:
        price_talk = [s for s in self.sentences if _PRICE_WORDS.search(s.text)]
        if not price_talk:
            return _metric(5, "Price was not discussed in the call (neutral score)")
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
        return _metric(score, "; ".join(parts))

    def _closure(self, actions: list[Candidate], seller: list[Sentence]) -> dict[str, Any]:
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
        return _metric(score, "; ".join(parts) or "No next step or close was agreed")

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
        return _metric(round(score, 1), "; ".join(parts))


# ---- helpers ---------------------------------------------------------------------------------
def product_aliases(products: list[dict[str, Any]], agency_name: str) -> list[list[str]]:
    """Each product's name, and the name without the brand words people skip when speaking:
    the leading words every catalogue name shares, and the agency's own name ("BrightDesk CRM"
    -> "CRM"). An alias shorter than three letters is not used."""
    names = [words(str(p.get("name") or "")) for p in products]
    shared = 0
    if len([n for n in names if n]) >= 2:
        while (
            all(len(n) > shared + 1 for n in names if n)
            and len({n[shared] for n in names if n}) == 1
        ):
            shared += 1
    brand = set(_agency_tokens(agency_name))
    out = []
    for product, tokens in zip(products, names, strict=True):
        name = str(product.get("name") or "").strip()
        options = [name]
        for alias in (tokens[shared:], [t for t in tokens if t not in brand]):
            text = " ".join(alias)
            if alias and len(text) >= 3 and text != " ".join(tokens) and text not in options:
                options.append(text)
        out.append(options)
    return out


def _metric(score: float, reason: str) -> dict[str, Any]:
    return {"score": round(max(0.0, min(10.0, float(score))), 1), "reason": reason}


def _risk(kind: str, s: Sentence, reasoning: str) -> dict[str, str]:
    return {"risk": kind, "risk_signal": s.text, "risk_reasoning": reasoning}


def _mentions(name: str, text: str) -> bool:
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


def _same_task(a: Candidate, b: Candidate) -> bool:
    """Two proposals are one task when they share a topic word; or they come from the two sides
    in adjacent turns with the same due date ("Let us talk at the end of the month" / "I will set
    up a call ... at the end of the month"); or one answers the other's request in the next turn
    without a topic of its own ("Can you send the brochure?" / "Sure, I will send it today")."""
    if a.stems & b.stems:
        return True
    one_voice = a.sentence.role == b.sentence.role == UNKNOWN
    if a.sentence.turn == b.sentence.turn or abs(a.sentence.turn - b.sentence.turn) > 1:
        return False
    if a.sentence.speaker == b.sentence.speaker and not one_voice:
        return False
    if a.due and b.due:
        return a.due.date() == b.due.date()
    request, reply = (a, b) if a.sentence.turn < b.sentence.turn else (b, a)
    return request.kind == "request" and reply.kind != "request" and not reply.stems


def _merge(group: list[Candidate]) -> Candidate:
    """One action from a group of proposals: the seller's own words name it (the latest dated
    commitment with a topic), the latest dated commitment sets the due date, else the request's."""
    commitments = [c for c in group if c.kind in ("commitment", "joint")]
    named = [c for c in commitments if c.stems] or commitments or group
    lead = ([c for c in named if c.due] or named)[-1]
    dated = [c for c in commitments if c.due] or [c for c in group if c.due]
    kinds = {c.kind for c in group}
    if "request" in kinds and kinds & {"commitment", "joint"}:
        reasoning = "The buyer asked for it and the seller agreed"
    elif "request" in kinds:
        reasoning = "The buyer asked for it"
    elif "joint" in kinds:
        reasoning = "Both sides agreed on it"
    else:
        reasoning = "The seller committed to it during the call"
    quotes = []
    for c in group:
        who = {SELLER: "Seller", BUYER: "Buyer"}.get(c.sentence.role, "Speaker")
        said = f"{c.context} {c.sentence.text}".strip()
        quotes.append(f'{who}: "{said}"')
    due = dated[-1].due if dated else None
    if due:
        reasoning += f'; due {due:%a %d %b %Y %H:%M} from "{dated[-1].clause}"'
    return Candidate(
        kind="commitment" if kinds & {"commitment", "joint"} else "request",
        sentence=lead.sentence,
        clause=lead.clause,
        core=lead.core,
        name=lead.name,
        due=due,
        stems=set().union(*(c.stems for c in group)),
        description=" ".join(dict.fromkeys(quotes)),
        reasoning=reasoning,
        signals=list(dict.fromkeys(c.sentence.text for c in group)),
    )


def _textrank(texts: list[str], damping: float = 0.85, iterations: int = 30) -> list[float]:
    """PageRank over the cosine similarity of TF-IDF sentence vectors."""
    docs = [Counter(content_stems(t)) for t in texts]
    df = Counter(term for d in docs for term in d)
    n = len(docs)
    vectors = []
    for d in docs:
        v = {t: c * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({t: x / norm for t, x in v.items()})
    sim = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            s = sum(x * vectors[j].get(t, 0.0) for t, x in vectors[i].items())
            sim[i][j] = sim[j][i] = s
    rank = [1.0 / n] * n
    out_weight = [sum(row) or 1.0 for row in sim]
    for _ in range(iterations):
        rank = [
            (1 - damping) / n + damping * sum(sim[j][i] / out_weight[j] * rank[j] for j in range(n))
            for i in range(n)
        ]
    return [r + 1e-6 * len(texts[i].split()) for i, r in enumerate(rank)]  # ties: longer sentence
