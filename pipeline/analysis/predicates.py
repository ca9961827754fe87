"""Predicates in a dependency parse (spaCy): is a verb a commitment, whose, which clause."""

import re
from typing import Any

CONDITION_MARKS = frozenset({"if", "once", "unless", "provided", "when", "after", "as", "soon"})
FIRST = {"i", "we", "me", "us", "myself"}
SECOND = {"you", "u"}
# Dependencies that head a clause (a "VERB" tagged as an object, "salary slips", is not one).
CLAUSAL = frozenset(
    {"ROOT", "conj", "ccomp", "xcomp", "advcl", "relcl", "acl", "parataxis", "csubj", "pcomp"}
)


def children(token: Any, *deps: str) -> list[Any]:
    return [c for c in token.children if c.dep_ in deps]


def modality(verb: Any) -> tuple[str | None, Any]:
    """(kind of commitment or None, the subject token) for a predicate."""
    auxes = {a.lower_ for a in children(verb, "aux", "auxpass")}
    subjects = children(verb, "nsubj", "nsubjpass", "expl")
    pronouns = [t for t in subjects if t.lower_ in FIRST | SECOND]
    subject = pronouns[0] if pronouns else subjects[0] if subjects else None
    head = verb.head
    if auxes & {"will", "'ll", "shall", "wo", "ll", "gonna"}:
        return "future", subject
    if verb.dep_ == "xcomp" and head.lemma_ == "go" and head.lower_ == "going":
        return "future", (children(head, "nsubj") or [None])[0]
    if verb.dep_ in ("xcomp", "ccomp") and head.lemma_ == "let":
        who = children(head, "nsubj", "dobj") or subjects
        if who and who[0].lower_ in ("me", "us", "'s"):
            return "let", who[0]
        if head.lower_ == "let's" or any(c.lower_ == "'s" for c in head.children):
            return "let", None
        return None, None
    if verb.dep_ == "xcomp" and head.lemma_ in ("have", "need") and head.lower_ != "had":
        who = children(head, "nsubj")
        if who and who[0].lower_ in FIRST:
            return "obligation", who[0]
        return None, None
    if auxes & {"can", "could", "would", "may", "might", "should", "must"}:
        return ("modal", subject) if not auxes & {"might", "may"} else (None, None)
    if verb.dep_ == "conj" and not subjects and not auxes:
        kind, subj = modality(head) if head.pos_ in ("VERB", "AUX") else (None, None)
        return kind, subj
    if verb.tag_ == "VB" and not subjects and not auxes and verb.dep_ in ("ROOT", "conj"):
        return "imperative", None
    marks = {c.lower_ for c in verb.children if c.dep_ in ("mark", "dep", "advmod")}
    if {"what", "if"} <= marks or {"how", "about"} <= marks:
        return "proposal", subject  # "What if I come after Diwali with samples?"
    return None, None


def negated(verb: Any) -> bool:
    return any(c.dep_ == "neg" for c in verb.children) or any(
        c.dep_ == "neg" for c in verb.head.children if verb.dep_ == "xcomp"
    )


def clause_head(token: Any) -> Any:
    """The predicate whose clause a token belongs to."""
    node = token
    while True:
        if node.pos_ in ("VERB", "AUX") and node.dep_ in CLAUSAL:
            return node
        if node.head.i == node.i:
            return node
        node = node.head


def object_head(verb: Any, topic: Any) -> Any:
    if topic is not None:
        return topic
    for dep in ("dobj", "attr", "oprd"):
        found = [c for c in verb.children if c.dep_ == dep]
        if found:
            return found[0]
    for prep in (c for c in verb.children if c.dep_ == "prep"):
        objs = [c for c in prep.children if c.dep_ == "pobj"]
        if objs:
            return objs[0]
    return None


def purpose(verb: Any) -> bool:
    """ "..., so you can compare": a purpose, not a promise ("so we can deliver on the 1st" by
    the speaker's side is a plan of theirs, and stays)."""
    subjects = [c for c in verb.children if c.dep_ == "nsubj"]
    if subjects and subjects[0].lower_ in FIRST:
        return False
    return (
        any(c.dep_ in ("advmod", "mark") and c.lower_ in ("so", "so that") for c in verb.children)
        and verb.dep_ in ("ROOT", "advcl", "conj")
        and any(c.dep_ == "aux" and c.lower_ in ("can", "could", "may") for c in verb.children)
    )


def mark(clause: Any) -> str:
    marks = [c.lower_ for c in clause.children if c.dep_ in ("mark", "advmod")]
    return marks[0] if marks else ""


def mark_is_if(condition: str) -> bool:
    return bool(re.match(r"^\s*(?:if|in\s+case|should)\b", condition, re.I))
