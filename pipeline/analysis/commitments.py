"""Action items: the commitments anyone makes on the call, read from each sentence's dependency
parse (spaCy, ``pipeline.analysis.nlp``).

A predicate is a commitment when its clause says it will happen: a future or modal auxiliary
("I will mail", "our technician will visit", "we can deliver on the 1st"), "going to", "let me /
let us", "I need to / have to", a request ("can you send", "send me the quote", "please fill the
form"), whatever the word order ("The quotation I will mail tonight": the topicalised object
is the verb's). Its subject says who owns it: the speaker ("I", "we"), the other side ("you", a
request), or a third party ("our technician", "my CA", "Karthik", "the bank"): ``seller``,
``buyer`` or ``other``. Conditions ("if the GM approves", "once you confirm") are kept in the
description. Not actions: negated and past predicates, states ("I will be quick", "I will
know"), farewells ("see you on Sunday"), generic offers ("if you ever need anything, call me"),
undated vague intentions (an undated commitment needs a deliverable verb), requests nobody
took up.

Proposals for one task (a request and its answer, a plan and its confirmation, a reschedule)
merge; the last date said wins (a reschedule supersedes the earlier date), a clock time alone
("he will come after four") sets the hour of the date already agreed. No date said, no due date.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.analysis.dates import DateMention
from pipeline.analysis.predicates import (
    CLAUSAL,
    CONDITION_MARKS,
    FIRST,
    SECOND,
    clause_head,
    mark,
    mark_is_if,
    modality,
    negated,
    object_head,
    purpose,
)
from pipeline.analysis.sentences import BUYER, SELLER, UNKNOWN, Sentence, capitalise
from pipeline.analysis.text import content_stems, shorten, stem

OTHER = "other"

# Verbs that make a deliverable: a commitment with one of these needs no date to count.
DELIVERABLE_VERBS = frozenset(
    """
    send email mail share call check confirm arrange book schedule prepare forward whatsapp
    message text visit meet review process submit raise deliver show demo courier dispatch
    collect calculate revise verify add include transfer register enroll enrol activate issue
    remind fill complete apply upload bring pay block reserve organise organize set inspect
    install survey quote print drop ping connect introduce speak talk discuss revert tell let
    attend take come finalise finalize sanction approve
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Predicates that are states, feelings or talk about the call, never a task.
STATIVE = frozenset(
    """
    be have like love want wish hope think know feel seem understand mean say tell happen become
    cost need remember enjoy hear see look believe guess suppose agree prefer matter worry
    expect afford keep stay wait rush thank welcome happy try ask help listen plan
    """.split()  # noqa: SIM905
)
# Verbs that carry no topic of their own ("let us do Sunday", "I will get back to you"):
# such a proposal confirms or re-dates the task around it.
VAGUE = frozenset({"do", "make", "get", "go", "fix", "finalise", "finalize", "manage", "revert"})
_FAREWELL = re.compile(r"\b(?:see|talk\s+to|speak\s+to|catch)\s+you\b|\bbye\b", re.I)
_GENERIC_OFFER = re.compile(r"\b(?:ever|any(?:thing|time)?|more\s+questions|further)\b", re.I)
_FILLER_ADVERBS = frozenset(
    [
        "instead",
        "rather",
        "also",
        "definitely",
        "just",
        "surely",
        "certainly",
        "personally",
        "quickly",
        "then",
        "meanwhile",
        "itself",
        "myself",
        "ourselves",
        "yourself",
        "himself",
        "herself",
        "first",
        "now",
        "please",
        "kindly",
        "only",
        "too",
        "as",
        "well",
        "latest",
        "again",
        "today's",
    ]
)


@dataclass
class Candidate:
    """One proposed action before merging."""

    kind: str  # "commitment" | "request" | "joint"
    sentence: Sentence
    owner: str  # seller | buyer | other
    verb: str  # the predicate's lemma
    name: str  # the title, as a person would write it
    due: datetime | None
    mentions: list[DateMention]
    stems: set[str]
    head: str = ""  # the stem of what the verb acts on ("brochure" of "send the brochure")
    pronoun_object: bool = False  # "send it": the task is named elsewhere
    conj_of: int | None = None  # the token index of the predicate it is coordinated with
    token: int = -1
    condition: str = ""
    question: bool = False
    vague: bool = False
    context: str = ""
    description: str = ""
    reasoning: str = ""
    signals: list[str] = field(default_factory=list)

    @property
    def clause(self) -> str:
        return self.sentence.text


def _other_side(role: str) -> str:
    return {SELLER: BUYER, BUYER: SELLER}.get(role, UNKNOWN)


class CommitmentReader:
    """Reads the candidates of one call."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.context = call.context
        self.buyer_first = (call.context.buyer_name.split() or [""])[0]
        self.seller_first = (call.context.seller_name.split() or [""])[0]
        self.last_third_party = ""

    # ---- owner ---------------------------------------------------------------------------
    def _owner(self, kind: str, subject: Any, s: Sentence) -> tuple[str, str]:
        """(owner, the subject as a title names it: "" for the call's own two sides)."""
        role = s.role if s.role in (SELLER, BUYER) else UNKNOWN
        if kind in ("imperative",):
            return _other_side(role) if role != UNKNOWN else SELLER, ""
        if kind == "let":
            return (role if role != UNKNOWN else SELLER), ""
        if subject is None:
            return (role if role != UNKNOWN else SELLER), ""
        word = subject.lower_
        if word in FIRST:
            return (role if role != UNKNOWN else SELLER), ""
        if word in SECOND:
            return (_other_side(role) if role != UNKNOWN else BUYER), ""
        phrase = " ".join(t.text for t in subject.subtree if t.dep_ not in ("punct", "appos"))
        first = phrase.split()[0].lower() if phrase else ""
        if self.buyer_first and self.buyer_first.lower() == first and len(phrase.split()) == 1:
            return BUYER, ""
        if self.seller_first and self.seller_first.lower() == first and len(phrase.split()) == 1:
            return SELLER, ""
        if word in ("he", "she", "they", "it", "this", "that", "someone", "somebody"):
            return OTHER, self.last_third_party or "they"
        self.last_third_party = self._possessive(phrase, role)
        return OTHER, self.last_third_party

    def _possessive(self, phrase: str, role: str) -> str:
        """'my CA' said by the buyer -> "Arjun's CA"; 'our technician' -> "our technician"."""
        mine = self.buyer_first if role == BUYER else self.seller_first if role == SELLER else ""
        yours = self.seller_first if role == BUYER else self.buyer_first if role == SELLER else ""
        if mine:
            phrase = re.sub(r"\bmy\b", f"{mine}'s", phrase, flags=re.I)
        if yours:
            phrase = re.sub(r"\byour\b", f"{yours}'s", phrase, flags=re.I)
        return phrase

    # ---- title ---------------------------------------------------------------------------
    def _title(self, verb: Any, s: Sentence, owner: str, subject_name: str, topic: Any) -> str:
        in_date = {
            t.i
            for t in verb.doc
            for m in s.dates
            if m.start <= t.idx < m.end or (t.idx <= m.start < t.idx + len(t.text))
        }
        drop: set[int] = set()
        for child in verb.children:
            if child.dep_ in (
                "nsubj",
                "nsubjpass",
                "aux",
                "auxpass",
                "neg",
                "advcl",
                "mark",
                "punct",
                "cc",
                "conj",
                "intj",
                "discourse",
                "expl",
                "parataxis",
                "meta",
            ) or (child.dep_ == "advmod" and child.lower_ in _FILLER_ADVERBS):
                drop |= {t.i for t in child.subtree}
            if child.dep_ == "npadvmod" and child.i in in_date:
                drop |= {t.i for t in child.subtree}
            if (
                child.dep_ == "ccomp"
                and verb.lemma_ != "let"
                and any(t.dep_ == "nsubj" for t in child.children)
            ):
                drop |= {t.i for t in child.subtree}
        keep = [t for t in verb.subtree if t.i not in drop and t.i not in in_date]
        # a preposition left without its object ("by" of "by Friday") goes too
        kept = {t.i for t in keep}
        keep = [
            t
            for t in keep
            if not (t.dep_ == "prep" and not any(c.i in kept for c in t.children))
            and t.lower_ not in _FILLER_ADVERBS
        ]
        if topic is not None and topic.i not in kept:  # "The quotation I will mail tonight"
            inside = (
                {t.i for t in verb.subtree} if topic.i not in {t.i for t in verb.subtree} else set()
            )
            head = [
                t
                for t in topic.subtree
                if t.i < verb.i
                and t.dep_ not in ("punct", "cc")
                and t.i not in inside
                and t.lower_ not in ("and", "meanwhile")
            ]
            keep = [t for t in keep if t.i > verb.i or t.i == verb.i]
            words_ = (
                [verb.lemma_]
                + [t.lower_ if t.dep_ == "det" else t.text for t in head]
                + [t.text for t in keep if t.i > verb.i]
            )
        else:
            words_ = [verb.lemma_ if t.i == verb.i else t.text for t in keep if t.i >= verb.i]
        text = " ".join(words_)
        text = re.sub(r"\s+([,.;:!?'])", r"\1", text).replace(" n't", "n't").replace("' s", "'s")
        text = re.sub(r"\s*[,;:]+\s*$", "", text).strip(" ,.;:")
        text = self._pronouns(text, owner, s.role)
        if owner == BUYER and self.buyer_first:
            return f"{self.buyer_first} to {text}" if text else ""
        if owner == OTHER:
            who = subject_name.strip() or "Someone"
            return f"{capitalise(who)} to {text}" if text else ""
        return capitalise(text)

    def _pronouns(self, text: str, owner: str, role: str) -> str:
        """Pronouns as a reader of the action list needs them."""
        speaker = self.buyer_first if role == BUYER else self.seller_first if role == SELLER else ""
        listener = (
            self.seller_first if role == BUYER else self.buyer_first if role == SELLER else ""
        )
        if listener:
            text = re.sub(r"\byour\b", f"{listener}'s", text, flags=re.I)
            text = re.sub(r"\byou\b", listener, text, flags=re.I)
        if speaker:
            text = re.sub(r"\b(?:me|us)\b", speaker, text, flags=re.I)
            text = re.sub(r"\b(?:my)\b", f"{speaker}'s", text, flags=re.I)
            text = re.sub(r"\bmyself\b", "", text, flags=re.I)
        if owner == BUYER and self.buyer_first:
            text = re.sub(rf"\b{re.escape(self.buyer_first)}'s\b", "their", text)
        return " ".join(text.split())

    # ---- candidates ----------------------------------------------------------------------
    def candidates(self) -> list[Candidate]:
        out: list[Candidate] = []
        for s in self.call.sentences:
            if s.doc is None:
                continue
            question = s.text.rstrip().endswith("?")
            for verb in s.doc:
                if verb.pos_ not in ("VERB", "AUX") or verb.dep_ not in CLAUSAL:
                    continue
                candidate = self._candidate(s, verb, question)
                if candidate is not None:
                    out.append(candidate)
        return out

    def _date_said_next(self, s: Sentence) -> list[DateMention]:
        """ "I will check with my bank. By next Monday I will know.": a commitment without a
        date takes that of the next sentence of the same turn when that sentence is a statement
        by the same speaker ("I will know", "you will have it") and not a goodbye."""
        nxt = s.index + 1
        if nxt >= len(self.call.sentences):
            return []
        after = self.call.sentences[nxt]
        if after.turn != s.turn or _FAREWELL.search(after.text) or after.doc is None:
            return []
        if re.search(r"\b(?:thank|thanks|bye)\b", after.text, re.I):
            return []
        root = next((t for t in after.doc if t.dep_ == "ROOT"), None)
        if root is None or root.lemma_ not in STATIVE | {"have", "get", "reach", "be"}:
            return []
        subjects = [c.lower_ for c in root.children if c.dep_ == "nsubj"]
        if not (set(subjects) & (FIRST | SECOND)) or not any(
            c.dep_ == "aux" and c.lower_ in ("will", "'ll", "shall") for c in root.children
        ):
            return []  # only "I will know", "you will have it": the same promise, dated
        return [m for m in after.dates if m.has_day][:1]

    def _candidate(self, s: Sentence, verb: Any, question: bool) -> Candidate | None:
        kind, subject = modality(verb)
        if kind is None or negated(verb) or purpose(verb):
            return None
        lemma = verb.lemma_.lower()
        if lemma in STATIVE and lemma not in DELIVERABLE_VERBS:
            return None
        if lemma == "let" and not any(
            c.lemma_ == "know" for c in verb.children if c.dep_ in ("ccomp", "xcomp")
        ):
            return None  # "let me take you through...": the verb after it is the predicate
        if verb.tag_ in ("VBD", "VBN") and kind not in ("future", "modal", "obligation"):
            return None
        mentions = self._own_dates(s, verb) or self._date_said_next(s)
        if kind == "imperative" and lemma not in DELIVERABLE_VERBS:
            return None  # "Tell me", "Go ahead", "Meet me halfway"
        if lemma in ("talk", "speak", "see", "meet") and (
            kind == "imperative" or _FAREWELL.search(" ".join(t.text for t in verb.subtree))
        ):
            return None  # "Talk to you on Monday then", "see you next week"
        if kind == "modal" and not mentions:
            return None  # "I can show you both options": an offer, not a promise
        if kind == "modal" and not (subject is not None and subject.lower_ in FIRST | SECOND):
            return None
        if kind == "modal" and subject.lower_ in FIRST and s.role != SELLER and lemma not in VAGUE:
            return None  # "we can take the train on Monday": the buyer's plan, not a promise
        if kind == "let" and not mentions:
            return None  # "let me explain": done there and then
        if kind == "proposal":
            question = True  # "What if I come after Diwali with samples?": kept if agreed
        topic = next(
            (
                t
                for t in verb.children
                if t.dep_ in ("nsubj", "dobj")
                and t.pos_ in ("NOUN", "PROPN")
                and subject is not None
                and t.i < subject.i
                and subject.lower_ in FIRST | SECOND
            ),
            None,
        )  # "And the old balance, I will pay by UPI tonight"
        if (
            topic is None
            and verb.dep_ == "relcl"
            and verb.head.pos_ in ("NOUN", "PROPN")
            and verb.head.dep_ in ("ROOT", "nsubj", "dobj")
        ):
            topic = verb.head  # "The quotation I will mail tonight"
        conditions = [c for c in verb.children if c.dep_ == "advcl" and mark(c) in CONDITION_MARKS]
        if verb.dep_ == "conj":
            conditions += [
                c for c in verb.head.children if c.dep_ == "advcl" and mark(c) in CONDITION_MARKS
            ]
        condition = " ".join(" ".join(t.text for t in c.subtree) for c in conditions).strip(" ,")
        if condition and mark_is_if(condition) and _GENERIC_OFFER.search(condition):
            return None  # "If you ever need a top up plan, please call me"
        if kind == "imperative" and re.match(r"^\s*if\b", s.text, re.I) and not mentions:
            return None
        owner, subject_name = self._owner(kind, subject, s)
        if (
            owner == OTHER
            and subject is not None
            and subject.dep_ == "nsubj"
            and subject.lemma_.lower() in _THINGS
            and lemma in _HAPPEN
        ):
            return None  # "The subsidy will come within 30 days": a schedule, nobody's task
        name = self._title(verb, s, owner, subject_name, topic)
        if not name:
            return None
        head = object_head(verb, topic)
        core = name.split(" to ", 1)[1] if owner in (BUYER, OTHER) and " to " in name else name
        names = content_stems(self.buyer_first + " " + self.seller_first)
        stems = content_stems(" ".join(core.split()[1:])) - names  # what the verb acts on
        vague = lemma in VAGUE and (not stems or (head is not None and head.lower_ == "it"))
        if not mentions and (lemma not in DELIVERABLE_VERBS or lemma in _TALK):
            return None  # an undated intention without a deliverable ("we will talk about it")
        if not mentions and owner != SELLER and kind not in ("imperative", "request"):
            return None  # undated promises by the buyer or others are plans, not tasks
        if (
            head is not None
            and head.lower_ in ("it", "that", "this", "them", "those")
            and lemma not in VAGUE
        ):
            referent = self._referent(s)
            if referent:
                name = re.sub(rf"\b{head.text}\b", referent, name, count=1)
                stems |= content_stems(referent) - names
        dated = [m for m in mentions if m.has_day] or mentions
        context = ""
        if not stems:  # "I will get back to you by Friday": the sentences before say what
            before = [x.text for x in self.call.turns[s.turn].sentences if x.index < s.index]
            if not before and s.turn > 0:
                before = [x.text for x in self.call.turns[s.turn - 1].sentences]
            context = " ".join(before[-2:])
        requested = kind == "imperative" or (
            question and subject is not None and subject.lower_ in SECOND
        )
        return Candidate(
            kind="request" if requested else ("joint" if kind == "let" else "commitment"),
            sentence=s,
            owner=owner,
            verb=lemma,
            name=shorten(name, 120),
            due=dated[0].when if dated else None,
            mentions=mentions,
            stems=stems,
            head=stem(head.lemma_.lower()) if head is not None and head.pos_ != "PRON" else "",
            condition=condition,
            question=question,
            vague=vague,
            context=context,
            pronoun_object=head is None or head.lower_ in ("it", "that", "this", "them"),
            conj_of=verb.head.i if verb.dep_ == "conj" else None,
            token=verb.i,
        )

    def _own_dates(self, s: Sentence, verb: Any) -> list[DateMention]:
        """The dates said in this predicate's own clause; a predicate without one shares those of
        a predicate it is coordinated with ("I will check and confirm on Friday"); the main
        predicate also takes a date fronted before it ("Tomorrow I will...")."""
        own = {t.idx for t in verb.doc if clause_head(t).i == verb.i}
        found = [m for m in s.dates if any(m.start <= i < m.end for i in own)]
        if found:
            return found
        partners = [c for c in verb.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
        if verb.dep_ == "conj":
            partners.append(verb.head)
        for partner in partners:
            theirs = {t.idx for t in partner.subtree}
            if partner.i == verb.head.i:
                theirs = {t.idx for t in verb.doc if clause_head(t).i == partner.i}
            found = [m for m in s.dates if any(m.start <= i < m.end for i in theirs)]
            if found and not any(m for m in s.dates if any(m.start <= i < m.end for i in own)):
                return found
        return []

    def _referent(self, s: Sentence) -> str:
        """What "it" points at: the last noun phrase of the sentences just before."""
        for prev in reversed(self.call.sentences[max(0, s.index - 3) : s.index]):
            if prev.doc is None:
                continue
            chunks = [
                c
                for c in prev.doc.noun_chunks
                if c.root.pos_ == "NOUN"
                and not any(m.start <= c.start_char < m.end for m in prev.dates)
            ]
            if chunks:
                text = chunks[-1].text
                text = re.sub(r"^(?:my|your|our|his|her|their)\b", "the", text, flags=re.I)
                return text
        return ""


_TALK = frozenset({"talk", "speak", "discuss", "meet"})
# Subjects that are things that happen, not someone who does: their "will" is a schedule.
_THINGS = frozenset(
    """
    subsidy refund money amount loan disbursal disbursement class classes batch session offer
    scheme price rate policy cover interest emi bill credit cashback bonus salary result results
    exam course program programme possession construction rain weather
    """.split()  # noqa: SIM905
)
# ...when they do what things do (a passive, "the loan will be sanctioned", is someone's task)
_HAPPEN = frozenset(
    [
        "come",
        "start",
        "begin",
        "happen",
        "arrive",
        "end",
        "expire",
        "mature",
        "close",
        "open",
        "run",
        "go",
        "stay",
        "remain",
        "increase",
        "decrease",
        "change",
        "reflect",
    ]
)
