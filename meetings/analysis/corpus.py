"""The development corpus (``demo/corpus/calls.json``, from shared/corpus-dev) as analyser input,
and a scorecard.

Used by ``bench/analysis_corpus.py`` and the offline analyser's tests. Reference transcripts have
one line per turn with its role; they become segments timed at 2.5 words a second.
"""

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from meetings.analysis.base import AnalysisContext

WORDS_PER_SECOND = 2.5


def corpus_path() -> Path:
    """``$CORPUS_DEV_DIR/calls.json``, else the copy kept in ``demo/corpus`` (the scripts of the
    demo recordings, with their ground truth)."""
    folder = os.environ.get("CORPUS_DEV_DIR")
    if folder:
        return Path(folder) / "calls.json"
    return Path(__file__).resolve().parents[2] / "demo" / "corpus" / "calls.json"


def load_corpus(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or corpus_path()).read_text())


def product_id(name: str) -> str:
    """A stable id for a corpus product (the corpus has names only)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"corpus-dev:product:{name}"))


def call_segments(call: dict[str, Any], *, roles: str = "known") -> list[dict[str, Any]]:
    """Segments of a reference transcript.

    ``roles``: "known" (each line's role), "labels" (two speaker labels, roles unknown: a
    diarised mono recording), or "single" (one label, roles unknown: undiarised mono).
    """
    segments, t = [], 0.0
    labels = {"seller": "SPEAKER_00", "buyer": "SPEAKER_01"}
    for role, text in call["lines"]:
        duration = max(1.0, len(text.split()) / WORDS_PER_SECOND)
        if roles == "known":
            speaker, seg_role = role, role
        elif roles == "labels":
            speaker, seg_role = labels[role], "unknown"
        else:
            speaker, seg_role = "SPEAKER_00", "unknown"
        segments.append(
            {
                "speaker": speaker,
                "role": seg_role,
                "text": text,
                "translation": None,
                "confidence": None,
                "start": round(t, 2),
                "end": round(t + duration, 2),
            }
        )
        t += duration + 0.4
    return segments


def call_context(corpus: dict[str, Any], call: dict[str, Any], **extra: Any) -> AnalysisContext:
    agency = corpus["agency"]
    products = [
        {
            "id": product_id(p["name"]),
            "name": p["name"],
            "description": p.get("description", ""),
            "features": p.get("features", []),
        }
        for p in agency["products"]
    ]
    tz = agency.get("timezone", "UTC")
    start = datetime.fromisoformat(call["start"]).astimezone(ZoneInfo(tz))
    return AnalysisContext(
        call_start=start,
        timezone=tz,
        agency_name=agency["name"],
        seller_name=corpus["seller"]["name"],
        buyer_name=call["buyer"]["name"],
        products=products,
        keyword_trackers=extra.pop("keyword_trackers", agency.get("keyword_trackers", {})),
        **extra,
    )


@dataclass
class Scorecard:
    calls: int = 0
    product_tp: int = 0
    product_fp: int = 0
    product_fn: int = 0
    product_ids_right: int = 0
    actions_truth: int = 0
    actions_found: int = 0
    actions_predicted: int = 0
    due_right: int = 0
    stage_right: int = 0
    objections_tp: int = 0
    objections_fp: int = 0
    objections_fn: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def product_precision(self) -> float:
        return self._ratio(self.product_tp, self.product_tp + self.product_fp)

    @property
    def product_recall(self) -> float:
        return self._ratio(self.product_tp, self.product_tp + self.product_fn)

    @property
    def action_recall(self) -> float:
        return self._ratio(self.actions_found, self.actions_truth)

    @property
    def action_precision(self) -> float:
        """Predicted actions that match a ground-truth action."""
        return self._ratio(self.actions_found, self.actions_predicted)

    @property
    def due_accuracy(self) -> float:
        """Of the ground-truth actions found, the share whose due date (local day) is right."""
        return self._ratio(self.due_right, self.actions_found)

    @property
    def stage_accuracy(self) -> float:
        return self._ratio(self.stage_right, self.calls)

    @property
    def objection_precision(self) -> float:
        return self._ratio(self.objections_tp, self.objections_tp + self.objections_fp)

    @property
    def objection_recall(self) -> float:
        return self._ratio(self.objections_tp, self.objections_tp + self.objections_fn)

    def add(self, call: dict[str, Any], result: dict[str, Any], tz: str, seconds: float) -> None:
        truth = call["truth"]
        cid = call["id"]
        self.calls += 1
        self.seconds.append(seconds)
        found = {p["product_name"] for p in result["detected_products"]}
        expected = set(truth["products"])
        self.product_tp += len(found & expected)
        self.product_fp += len(found - expected)
        self.product_fn += len(expected - found)
        self.product_ids_right += sum(
            1
            for p in result["detected_products"]
            if p["product_id"] == product_id(p["product_name"])
        )
        for name in found ^ expected:
            self.misses.append(f"{cid}: product {'extra' if name in found else 'missed'} {name}")

        predicted = list(result["actions"])
        self.actions_predicted += len(predicted)
        self.actions_truth += len(truth["actions"])
        unused = list(range(len(predicted)))
        for expected_action in truth["actions"]:
            keywords = [k.lower() for k in expected_action["keywords"]]
            match = None
            # prefer a candidate that also has the right date, then any keyword match
            for want_date in (True, False):
                for i in unused:
                    action = predicted[i]
                    text = f"{action['action_name']} {action['description']}".lower()
                    if not any(k in text for k in keywords):
                        continue
                    if want_date and _local_day(action["due_date"], tz) != expected_action["due"]:
                        continue
                    match = i
                    break
                if match is not None:
                    break
            if match is None:
                self.misses.append(f"{cid}: action missed {keywords} due {expected_action['due']}")
                continue
            unused.remove(match)
            self.actions_found += 1
            got = _local_day(predicted[match]["due_date"], tz)
            if got == expected_action["due"]:
                self.due_right += 1
            else:
                self.misses.append(
                    f"{cid}: action {keywords} due {got}, expected {expected_action['due']}"
                )
        for i in unused:
            self.misses.append(f"{cid}: extra action {predicted[i]['action_name']!r}")

        stage = result["deal_stage"]["deal_stage"]
        if stage == truth["deal_stage"]:
            self.stage_right += 1
        else:
            self.misses.append(f"{cid}: stage {stage!r}, expected {truth['deal_stage']!r}")

        kinds = {r["risk"] for r in result["risks"]}
        want = set(truth["objections"])
        self.objections_tp += len(kinds & want)
        self.objections_fp += len(kinds - want)
        self.objections_fn += len(want - kinds)
        for kind in kinds ^ want:
            self.misses.append(f"{cid}: objection {'extra' if kind in kinds else 'missed'} {kind}")

    def lines(self) -> list[str]:
        ms = sorted(self.seconds)
        mean = sum(ms) / len(ms) if ms else 0.0
        return [
            f"calls                      {self.calls}",
            f"products precision/recall  {self.product_precision:.2f} / {self.product_recall:.2f}"
            f"  (ids right {self.product_ids_right}/{self.product_tp + self.product_fp})",
            f"actions found (recall)     {self.actions_found}/{self.actions_truth} "
            f"= {self.action_recall:.2f}",
            f"actions precision          {self.actions_found}/{self.actions_predicted} "
            f"= {self.action_precision:.2f}",
            f"due dates right            {self.due_right}/{self.actions_found} "
            f"= {self.due_accuracy:.2f}",
            f"deal stage accuracy        {self.stage_right}/{self.calls} "
            f"= {self.stage_accuracy:.2f}",
            f"objections precision/recall {self.objection_precision:.2f} / "
            f"{self.objection_recall:.2f}",
            f"time per call              mean {mean * 1000:.1f} ms, "
            f"max {max(ms, default=0) * 1000:.1f} ms",
        ]


def _local_day(value: str | None, tz: str) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).date().isoformat()
