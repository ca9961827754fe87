"""From commitment candidates (``commitments.py``) to the call's action items: merge the proposals
that are one task, let the last date said win, drop requests nobody took up, and write each
action as the payload has it (``action_name``, ``due_date``, ``owner``, description, reasoning,
signals)."""

import re
from datetime import datetime
from typing import Any

from pipeline.analysis.commitments import OTHER, Candidate, CommitmentReader
from pipeline.analysis.sentences import BUYER, SELLER, UNKNOWN
from pipeline.analysis.text import content_stems, words

_AGREE = re.compile(
    r"^\s*(?:yes|yeah|yep|ok|okay|sure|fine|done|of\s+course|definitely|absolutely|haan|ji|"
    r"theek|acha|perfect|great|no\s+problem|will\s+do|right|please)\b",
    re.I,
)
_AGREE_ANY = re.compile(
    r"\b(?:theek\s+hai|fine|okay|ok|sure|done|works|perfect|good|haan)\b[^?]*$", re.I
)
_AGREE_ANY = re.compile(
    r"\b(?:theek\s+hai|fine|okay|ok|sure|done|works|perfect|good|haan)\b[^?]*$", re.I
)
_RESCHEDULE = re.compile(
    r"\b(?:instead|rather|make\s+it|shift|move|change|postpone|prepone|reschedule|then)\b", re.I
)
_OWNER_WORD = {SELLER: "seller", BUYER: "buyer", OTHER: "third party", UNKNOWN: "speaker"}


def _same_task(a: Candidate, b: Candidate) -> bool:
    """One task: a shared topic word; or, from the two sides in adjacent turns, the same day or a
    reply without a topic of its own ("Can you send the brochure?" / "Sure, I will send it")."""
    related = a.owner == b.owner or "request" in (a.kind, b.kind)
    if related and a.head and a.head == b.head:
        return True
    if (
        related
        and (a.head in b.stems or b.head in a.stems)
        and (abs(a.sentence.turn - b.sentence.turn) <= 2)
    ):
        return True
    if a.sentence.index == b.sentence.index:
        if a.vague or b.vague:
            return True
        coordinated = a.conj_of == b.token or b.conj_of == a.token
        both_dated = a.mentions and b.mentions and a.due != b.due
        return coordinated and a.owner == b.owner and not both_dated
    gap = abs(a.sentence.turn - b.sentence.turn)
    if gap > 1 or a.sentence.turn == b.sentence.turn:
        return False
    if a.sentence.speaker == b.sentence.speaker and a.sentence.role != UNKNOWN:
        return False
    if a.owner != b.owner and "joint" not in (a.kind, b.kind):
        return False
    later = a if a.sentence.index > b.sentence.index else b
    if a.due and b.due and a.due.date() == b.due.date() and "joint" in (a.kind, b.kind):
        return True
    return later.vague or later.pronoun_object


def _agreed(call: Any, c: Candidate) -> bool:
    """The other side agreed to a request or an offer put as a question."""
    reply = next(
        (
            t
            for t in call.turns[c.sentence.turn + 1 : c.sentence.turn + 2]
            if t.speaker != c.sentence.speaker
        ),
        None,
    )
    first = reply.sentences[0].text if reply and reply.sentences else ""
    return bool(_AGREE.search(first) or _AGREE_ANY.search(first))


_DONE = re.compile(
    r"^\s*(?:done|already\s+done|it'?s\s+done|i\s+have\s+(?:already\s+)?\w+ed)\b", re.I
)


def _done(call: Any, c: Candidate) -> bool:
    """The other side answered "Done." / "I have booked it", and no date ahead was said."""
    reply = next(
        (t for t in call.turns[c.sentence.turn + 1 : c.sentence.turn + 2]),
        None,
    )
    if not reply or reply.speaker == c.sentence.speaker or not _DONE.search(reply.text):
        return False
    return c.due is None or c.due <= call.base


def _not_taken_up(call: Any, group: list[Candidate]) -> bool:
    """Only requests or questions ("Can you come on Saturday?", "Shall I prepare the
    booking?"), none agreed to, none an instruction with a date of its own."""
    if not all(c.kind == "request" or c.question for c in group):
        return False
    if any(_agreed(call, c) for c in group):
        return False
    return not any(c.kind == "request" and not c.question and c.mentions for c in group)


def _due(group: list[Candidate]) -> datetime | None:
    """The last day said wins; a clock time alone sets the hour of that day."""
    due: datetime | None = None
    for c in sorted(group, key=lambda x: x.sentence.index):
        for mention in c.mentions:
            if mention.has_day:
                due = mention.when
            elif due is not None:
                due = due.replace(hour=mention.when.hour, minute=mention.when.minute)
            else:
                due = mention.when
    return due


def extract_actions(call: Any) -> list[Candidate]:
    reader = CommitmentReader(call)
    candidates = reader.candidates()
    groups: list[list[Candidate]] = []
    for c in candidates:
        target = None
        for group in groups:
            if any(_same_task(c, other) for other in group):
                target = group
        if target is None and (c.vague or not c.stems):
            # "Let us do Sunday then" / "I will get back to you by Friday": joins the task just
            # discussed by the other side, if any, else stands with the sentences before it
            recent = [
                g
                for g in groups
                if 0 < c.sentence.turn - g[-1].sentence.turn <= 2
                and (g[-1].owner == c.owner or c.vague)
                and (c.vague or _RESCHEDULE.search(c.sentence.text))
            ]
            target = recent[-1] if recent else None
        if target is not None:
            target.append(c)
        else:
            groups.append([c])
    actions: list[Candidate] = []
    titles: set[str] = set()
    for group in groups:
        if all(c.kind == "request" and _done(call, c) for c in group):
            continue  # "Add zero depreciation" / "Done.": done during the call
        if _not_taken_up(call, group):
            continue  # asked, and nobody took it up
        action = _merge(call, group)
        title, n = action.name, 2
        while title.lower() in titles:  # titles identify actions on re-analysis: keep unique
            title = f"{action.name} ({n})"
            n += 1
        titles.add(title.lower())
        action.name = title
        actions.append(action)
    _apply_reschedules(call, actions)
    return actions


def _apply_reschedules(call: Any, actions: list[Candidate]) -> None:
    """A sentence with a new date and no task of its own that names an action's topic ("Delivery
    on the third of December then") moves that action's date."""
    used = {c.sentence.index for a in actions for c in [a]}
    for s in call.sentences:
        if s.index in used or not any(m.has_day for m in s.dates):
            continue
        stems = _stems(s.text)
        earlier = [a for a in actions if a.sentence.index < s.index and a.due]
        latest = max(earlier, key=lambda a: a.sentence.index, default=None)
        if (
            latest is not None
            and 0 < s.turn - latest.sentence.turn <= 2
            and _RESCHEDULE.search(s.text)
            and s.role != latest.sentence.role
        ) or (
            latest is not None
            and 0 < s.turn - latest.sentence.turn <= 2
            and re.search(
                r"\b(?:instead|make\s+it|shift|reschedule|postpone|prepone)\b", s.text, re.I
            )
        ):
            latest.due = [m for m in s.dates if m.has_day][-1].when
            latest.reasoning += f'; moved by "{s.text}"'
            continue
        for action in actions:
            if action.sentence.index >= s.index or not action.due:
                continue
            topic = action.stems | {action.verb}
            shared = any(a[:5] == b[:5] and min(len(a), len(b)) >= 5 for a in stems for b in topic)
            if (shared and _RESCHEDULE.search(s.text)) or (
                shared
                and s.turn - action.sentence.turn <= 3
                and not re.search(r"\b(?:is|are|was|were|start|starts|begin|matures?)\b", s.text)
            ):
                action.due = [m for m in s.dates if m.has_day][-1].when
                action.reasoning += f'; moved by "{s.text}"'


def _stems(text: str) -> set[str]:
    return content_stems(text)


def _merge(call: Any, group: list[Candidate]) -> Candidate:
    """One action from a group: the committer's words name it (the latest with a topic), the last
    date said is due, the committer owns it."""
    commitments = [c for c in group if c.kind in ("commitment", "joint")]
    named = [c for c in (commitments or group) if c.stems and not c.vague] or commitments or group
    lead = named[-1] if not [c for c in named if c.due] else [c for c in named if c.due][-1]
    lead = next((c for c in named if c.stems and not c.vague and c.due), lead)
    kinds = {c.kind for c in group}
    if "request" in kinds and kinds & {"commitment", "joint"}:
        reasoning = "Asked for, and agreed on the call"
    elif "request" in kinds:
        reasoning = "Asked for on the call"
    elif "joint" in kinds:
        reasoning = "Both sides agreed on it"
    else:
        reasoning = f"The {_OWNER_WORD[lead.owner]} committed to it during the call"
    conditions = [c.condition for c in group if c.condition]
    if conditions:
        reasoning += f"; conditional: {conditions[-1]}"
    quotes = []
    for c in group:
        who = {SELLER: "Seller", BUYER: "Buyer"}.get(c.sentence.role, "Speaker")
        said = f"{c.context} {c.sentence.text}".strip()
        quotes.append(f'{who}: "{said}"')
    due = _due(group)
    if due:
        last = [c for c in group if c.mentions][-1]
        reasoning += f'; due {due:%a %d %b %Y %H:%M} from "{last.mentions[-1].phrase}"'
    owner = next((c.owner for c in reversed(commitments) if not c.vague), lead.owner)
    return Candidate(
        kind="commitment" if commitments else "request",
        sentence=lead.sentence,
        owner=owner,
        verb=lead.verb,
        name=lead.name,
        due=due,
        mentions=[m for c in group for m in c.mentions],
        stems=set().union(*(c.stems for c in group)),
        condition=conditions[-1] if conditions else "",
        description=" ".join(dict.fromkeys(quotes)),
        reasoning=reasoning,
        signals=list(dict.fromkeys(c.sentence.text for c in group)),
    )


def action_dict(c: Candidate) -> dict[str, Any]:
    return {
        "action_name": c.name,
        "due_date": c.due.isoformat() if c.due else None,
        "description": c.description or c.clause,
        "reasoning": c.reasoning,
        "signals": c.signals or [c.sentence.text],
        "owner": c.owner if c.owner in (SELLER, BUYER, OTHER) else SELLER,
        "conditional": c.condition or None,
    }


def plausible_words(text: str, known: set[str]) -> float:
    """The share of a phrase's words that are English words or names the call knows (wordfreq)."""
    from wordfreq import zipf_frequency

    tokens = [w for w in words(text) if not w.isdigit()]
    if not tokens:
        return 1.0
    good = sum(1 for w in tokens if w in known or zipf_frequency(w, "en") >= 2.0)
    return good / len(tokens)
