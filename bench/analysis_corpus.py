"""Scorecard of the offline analyser on the development corpus's REFERENCE transcripts.

    .venv/bin/python bench/analysis_corpus.py [--part heldout|tune|all|report] [--roles ...] [-v]

The held-out split is fixed in ``pipeline.analysis.corpus`` (``HELDOUT_AGENCIES`` and
``HELDOUT_CALLS``): two whole agencies (Kaveri Finserv, SuryaKiran Solar: d33-d42) plus the last
call of each other agency (d8, d14, d20, d26, d32), 15 calls; the other 27 are what rules may be
tuned on. ``--part report`` (the default) prints the held-out part and the whole, without the
held-out misses (they are not to be looked at while tuning); ``-v`` prints the misses of the
part(s) shown, so use it with ``--part tune``.

``--roles``: "known" uses each line's role; "labels" gives two speaker labels with unknown roles
(a diarised mono recording: roles must be inferred); "single" one label for the whole call.
``--corpus`` scores another calls.json (either format), e.g. bench/analysis_heldout.json.
``--degrade`` lower-cases the text and drops commas and question marks (rougher ASR output).

Reuse from an end-to-end bench: build ``Scorecard()``, and for each call
``card.add(call, analyser.analyse(segments=<your ASR segments>, context=call_context(corpus,
call)), context.timezone, seconds)``; ``card.lines()`` / ``card.as_dict()`` give the figures.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.base")

import django

django.setup()

from pipeline.analysis.corpus import (  # noqa: E402
    Scorecard,
    call_context,
    call_segments,
    load_corpus,
    split_calls,
)
from pipeline.analysis.offline import OfflineAnalyser  # noqa: E402


def score(analyser, corpus, calls, *, roles="known", degrade=False, repeat=1, verbose=False):
    card = Scorecard()
    role_hits = role_total = 0
    for call in calls:
        segments = call_segments(call, roles=roles)
        if degrade:
            for seg in segments:
                seg["text"] = re.sub(r"[,?!]", "", seg["text"].lower())
        context = call_context(corpus, call)
        times = []
        for _ in range(max(1, repeat)):
            started = time.perf_counter()
            result = analyser.analyse(segments=segments, context=context)
            times.append(time.perf_counter() - started)
        card.add(call, result, context.timezone, min(times))
        if roles == "labels":
            truth = {"SPEAKER_00": "seller", "SPEAKER_01": "buyer"}
            role_total += len(truth)
            role_hits += sum(result["speaker_roles"].get(k) == v for k, v in truth.items())
        if verbose:
            print(f"--- {call['id']}: {result['call_title']}")
            print(
                f"    stage {result['deal_stage']['deal_stage']} "
                f"{result['deal_stage']['stage_signals'][:2]}; risks "
                f"{[r['risk'] for r in result['risks']]}; competitors "
                f"{[c['name'] for c in result.get('competitors', [])]}"
            )
            for action in result["actions"]:
                print(
                    f"    action [{action.get('owner')}] {action['action_name']!r} "
                    f"due {action['due_date']}"
                )
            for bullet in result["call_summary"]["bullets"]:
                print(f"    summary {bullet}")
    return card, (role_hits, role_total)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("report", "heldout", "tune", "all"), default="report")
    parser.add_argument("--roles", choices=("known", "labels", "single"), default="known")
    parser.add_argument("--corpus", type=Path, help="a calls.json (default: demo/corpus)")
    parser.add_argument("--degrade", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per call")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="print misses and results")
    args = parser.parse_args()

    corpus = load_corpus(args.corpus)
    started = time.perf_counter()
    analyser = OfflineAnalyser()
    first = corpus["calls"][0]
    analyser.analyse(segments=call_segments(first), context=call_context(corpus, first))
    warmup = time.perf_counter() - started

    parts = ["heldout", "all"] if args.part == "report" else [args.part]
    if args.corpus:
        parts = ["all"]
    figures = {}
    for part in parts:
        calls = split_calls(corpus, part) if not args.corpus else corpus["calls"]
        show = (args.verbose and part != "heldout") or (args.verbose and args.part == "heldout")
        card, (hits, total) = score(
            analyser,
            corpus,
            calls,
            roles=args.roles,
            degrade=args.degrade,
            repeat=args.repeat,
            verbose=show and args.part != "report",
        )
        figures[part] = card.as_dict()
        if args.json:
            continue
        source = args.corpus or "corpus-dev"
        print(
            f"offline analyser, {part} part of {source} ({card.calls} calls), roles={args.roles}"
            + (", degraded text" if args.degrade else "")
        )
        for line in card.lines():
            print("  " + line)
        if total:
            print(f"  speaker roles inferred     {hits}/{total}")
        if args.verbose and args.part != "report" and card.misses:
            print("  misses:")
            for miss in card.misses:
                print("    " + miss)
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        print(f"first call incl. model load   {warmup * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
