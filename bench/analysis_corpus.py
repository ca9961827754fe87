"""Scorecard of the offline analyser on the development corpus (shared/corpus-dev/calls.json).

    .venv/bin/python bench/analysis_corpus.py [--roles known|labels|single] [--repeat N] [-v]

``--roles``: "known" uses each line's role; "labels" gives two speaker labels with unknown roles
(a diarised mono recording: roles must be inferred); "single" one label for the whole call.
Prints products precision/recall, actions found, due dates right, deal-stage accuracy,
objections, and the time per call (after one warm-up call that loads dateparser's data).
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.base")

import django

django.setup()

from meetings.analysis.corpus import (  # noqa: E402
    Scorecard,
    call_context,
    call_segments,
    load_corpus,
)
from meetings.analysis.offline import OfflineAnalyser  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", choices=("known", "labels", "single"), default="known")
    parser.add_argument("--corpus", type=Path, help="a calls.json (default: demo/corpus)")
    parser.add_argument(
        "--degrade",
        action="store_true",
        help="lower-case the text and drop commas and question marks (rougher ASR output)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per call")
    parser.add_argument("-v", "--verbose", action="store_true", help="print misses and results")
    args = parser.parse_args()

    corpus = load_corpus(args.corpus)
    analyser = OfflineAnalyser()
    first = corpus["calls"][0]
    started = time.perf_counter()
    analyser.analyse(segments=call_segments(first), context=call_context(corpus, first))
    warmup = time.perf_counter() - started

    card = Scorecard()
    role_hits = role_total = 0
    for call in corpus["calls"]:
        segments = call_segments(call, roles=args.roles)
        if args.degrade:
            for seg in segments:
                seg["text"] = re.sub(r"[,?!]", "", seg["text"].lower())
        context = call_context(corpus, call)
        times = []
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            result = analyser.analyse(segments=segments, context=context)
            times.append(time.perf_counter() - started)
        card.add(call, result, context.timezone, min(times))
        if args.roles == "labels":
            truth = {"SPEAKER_00": "seller", "SPEAKER_01": "buyer"}
            role_total += len(truth)
            role_hits += sum(result["speaker_roles"].get(k) == v for k, v in truth.items())
        if args.verbose:
            print(f"--- {call['id']}: {result['call_title']}")
            print(
                f"    stage {result['deal_stage']['deal_stage']}; risks "
                f"{[r['risk'] for r in result['risks']]}; roles {result['speaker_roles']}"
            )
            for action in result["actions"]:
                print(f"    action {action['action_name']!r} due {action['due_date']}")
            for action in result["suggested_actions"]:
                print(f"    suggested {action['action_name']!r}")
            for name, metric in result["performance"].items():
                if isinstance(metric, dict) and "score" in metric:
                    print(f"    {name}: {metric['score']} - {metric['reason']}")

    source = args.corpus or "corpus-dev"
    print(
        f"offline analyser on {card.calls} calls of {source}, roles={args.roles}"
        + (", degraded text" if args.degrade else "")
    )
    for line in card.lines():
        print("  " + line)
    print(f"  first call (warm-up)       {warmup * 1000:.0f} ms")
    if role_total:
        print(f"  speaker roles inferred     {role_hits}/{role_total}")
    if card.misses:
        print("  misses:")
        for miss in card.misses:
            print("    " + miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
