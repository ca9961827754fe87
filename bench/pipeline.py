#!/usr/bin/env python
"""End-to-end benchmark of the processing pipeline on the dev corpus (shared/corpus-dev).

Per call: transcription time and real-time factor, word error rate against the reference
transcript, every channel's speech energy against what was transcribed (no channel may be
dropped silently), the mono calls' speaker attribution accuracy (per option: clusters, text cues,
level), and the analysis scored on the ASR output and on the reference text (the analysis
bench's scorecard, ``pipeline.analysis.corpus.Scorecard``). Then the speed of one 5-minute
stereo call through the whole job (load -> transcribe -> analyse -> persist).

The held-out part is the analysis bench's (``pipeline.analysis.corpus.HELDOUT_AGENCIES`` and
``HELDOUT_CALLS``): the last two agencies in calls.json order (Kaveri Finserv, SuryaKiran Solar)
plus the last call of every other agency (d8, d14, d20, d26, d32). Nothing was tuned on it;
figures are given for it and for the whole corpus.

    .venv/bin/python bench/pipeline.py [--only d1,d8] [--split heldout|tuning|all]
        [--no-speed] [--no-analysis] [--max-rtf 0.3] [--json var/bench-pipeline.json] [-v]

The audio is synthesised once into var/corpus-dev (make_corpus.py, espeak-ng and sox). Runs on
a throwaway SQLite database and media folder.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# shared/ sits beside the checkout (../shared), or beside its worktree folder; CORPUS_DEV_DIR wins.
CORPUS_DIR = Path(
    os.environ.get("CORPUS_DEV_DIR")
    or next(
        (
            base / "shared" / "corpus-dev"
            for base in (ROOT.parent, ROOT.parent.parent)
            if (base / "shared" / "corpus-dev").is_dir()
        ),
        ROOT.parent / "shared" / "corpus-dev",
    )
)
AUDIO_DIR = ROOT / "var" / "corpus-dev"
# The analysis bench's split (kept here too until that branch's corpus module is merged).
HELDOUT_AGENCIES = ("Kaveri Finserv", "SuryaKiran Solar")
HELDOUT_CALLS = ("d8", "d14", "d20", "d26", "d32")
SPEED_SECONDS = 300.0


def setup_django(workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.local")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --- corpus ----------------------------------------------------------------------------------


def corpus_load() -> dict:
    """The corpus, each call marked ``held_out`` by the analysis bench's split."""
    try:
        from pipeline.analysis import corpus as analysis_corpus

        agencies, calls = analysis_corpus.HELDOUT_AGENCIES, analysis_corpus.HELDOUT_CALLS
    except (ImportError, AttributeError):
        agencies, calls = HELDOUT_AGENCIES, HELDOUT_CALLS
    corpus = json.loads((CORPUS_DIR / "calls.json").read_text())
    for call in corpus["calls"]:
        call["held_out"] = call["agency"] in agencies or call["id"] in calls
    corpus["held_out_agencies"] = list(agencies)
    corpus["held_out_calls"] = list(calls)
    return corpus


def audio_ensure(only: list[str] | None) -> dict:
    manifest = AUDIO_DIR / "manifest.json"
    if not manifest.exists():
        AUDIO_DIR.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(CORPUS_DIR / "make_corpus.py"), str(AUDIO_DIR)]
        subprocess.run([*command, "--jobs", "2"], check=True)  # noqa: S603 - our own script
    data = json.loads(manifest.read_text())
    return {c["id"]: c for c in data["calls"]}


# --- word error rate ---------------------------------------------------------------------------


def words(text: str, *, numbers: bool) -> list[str]:
    text = text.lower().replace("—", " ")
    if numbers:  # "twenty two thousand" and "22,000" both become 22000
        from text_to_num import alpha2digit

        text = alpha2digit(text.replace(",", " , ").replace("-", " "), "en")
        text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
        text = re.sub(r"(\d)\s*%", r"\1 percent", text)
    return re.findall(r"[a-z0-9']+", text)


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]


def wer_counts(reference: str, hypothesis: str, *, numbers: bool) -> tuple[int, int]:
    ref, hyp = words(reference, numbers=numbers), words(hypothesis, numbers=numbers)
    return edit_distance(ref, hyp), len(ref)


# --- speaker attribution ---------------------------------------------------------------------


def attribution_accuracy(segments: list[dict], manifest_call: dict) -> tuple[int, int]:
    """Words whose role is right, of the words whose time falls inside exactly one reference
    line (overlaps and gaps are not scored). Words are spread evenly over their segment."""
    lines = manifest_call["segments"]
    right = total = 0
    for segment in segments:
        tokens = segment["text"].split()
        if not tokens:
            continue
        span = max(0.01, segment["end"] - segment["start"])
        for i, _ in enumerate(tokens):
            t = segment["start"] + span * (i + 0.5) / len(tokens)
            owners = {ln["speaker"] for ln in lines if ln["start"] - 0.1 <= t <= ln["end"] + 0.1}
            if len(owners) != 1:
                continue
            total += 1
            right += segment["role"] == owners.pop()
    return right, total


# --- analysis --------------------------------------------------------------------------------


def analysis_context(corpus: dict, call: dict):
    from pipeline.analysis.base import AnalysisContext
    from pipeline.analysis.corpus import product_id

    agency = next(a for a in corpus["agencies"] if a["name"] == call["agency"])
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
    return AnalysisContext(
        call_start=datetime.fromisoformat(call["start"]).astimezone(ZoneInfo(tz)),
        timezone=tz,
        agency_name=agency["name"],
        seller_name=agency["seller"]["name"],
        buyer_name=call["buyer"]["name"],
        products=products,
        keyword_trackers=agency.get("keyword_trackers", {}),
    )


def reference_segments(manifest_call: dict) -> list[dict]:
    return [
        {
            "speaker": line["speaker"],
            "role": line["speaker"],
            "text": line["text"],
            "translation": None,
            "confidence": None,
            "start": line["start"],
            "end": line["end"],
        }
        for line in manifest_call["segments"]
    ]


# --- speed -----------------------------------------------------------------------------------


def five_minute_call(manifest: dict, out: Path) -> Path:
    """A 5-minute dual-channel recording: tuning-set stereo calls end to end, cut at 300 s."""
    parts, total = [], 0
    for cid, entry in manifest.items():
        if entry["channels"] != 2 or cid in HELDOUT_CALLS or entry["agency"] in HELDOUT_AGENCIES:
            continue
        with wave.open(str(AUDIO_DIR / entry["recording"])) as handle:
            rate = handle.getframerate()
            frames = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
        parts.append(frames.reshape(-1, 2))
        total += len(parts[-1])
        if total >= SPEED_SECONDS * rate:
            break
    samples = np.concatenate(parts)[: int(SPEED_SECONDS * rate)]
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.astype("<i2").tobytes())
    return out


def make_job(path: Path, corpus: dict, call: dict):
    from django.core.files import File
    from model_bakery import baker

    from agencies.models import Agency, Buyer
    from meetings.models import Job, Meeting
    from products.models import Product
    from sellers.models import Seller

    spec = next(a for a in corpus["agencies"] if a["name"] == call["agency"])
    agency, created = Agency.objects.get_or_create(name=spec["name"])
    if created:
        for product in spec["products"]:
            baker.make(Product, agency=agency, name=product["name"], features=product["features"])
    seller = Seller.objects.filter(agency=agency).first() or baker.make(
        Seller,
        agency=agency,
        email="bench@example.com",
        phone=spec["seller"]["phone"],
        name=spec["seller"]["name"],
    )
    buyer = baker.make(
        Buyer,
        agency=agency,
        phone=f"+9198111{Buyer.objects.count():05d}",
        name=call["buyer"]["name"],
    )
    meeting = baker.make(
        Meeting,
        agency=agency,
        seller=seller,
        buyer=buyer,
        title="Call",
        start_time=datetime.fromisoformat(call["start"]),
    )
    with path.open("rb") as handle:
        meeting.recording.save(path.name, File(handle), save=True)
    return baker.make(Job, meeting=meeting)


# --- main ------------------------------------------------------------------------------------


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated call ids")
    parser.add_argument("--split", choices=("all", "heldout", "tuning"), default="all")
    parser.add_argument("--no-speed", action="store_true", help="skip the 5-minute job")
    parser.add_argument("--no-analysis", action="store_true", help="skip the analysis scores")
    parser.add_argument("--max-rtf", type=float, default=None, help="fail above this job RTF")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print transcripts")
    args = parser.parse_args()

    only = args.only.split(",") if args.only else None
    manifest = audio_ensure(only)
    with tempfile.TemporaryDirectory(prefix="chirpworks-bench-") as tmp:
        setup_django(Path(tmp))
        corpus = corpus_load()
        from django.conf import settings

        from meetings.models import Job
        from pipeline import processing
        from pipeline.analysis.corpus import Scorecard
        from pipeline.analysis.offline import OfflineAnalyser
        from pipeline.transcription import (
            channel_transcribe,
            decode_options,
            get_transcription_provider,
            recording_transcribe,
            vocabulary_from_context,
        )
        from pipeline.transcription.audio import audio_decode
        from pipeline.transcription.diarize import mono_attribute

        provider = get_transcription_provider()
        began = time.perf_counter()
        first = next(iter(manifest.values()))
        recording_transcribe(AUDIO_DIR / first["recording"], provider=provider)  # model load
        warmup = time.perf_counter() - began
        print(
            f"provider={provider.name} model={settings.WHISPER_MODEL or 'tiny.en (bundled)'} "
            f"compute={settings.WHISPER_COMPUTE_TYPE} threads={settings.WHISPER_CPU_THREADS} "
            f"beam={settings.WHISPER_BEAM_SIZE} vad={settings.WHISPER_VAD} "
            f"vocabulary={settings.WHISPER_VOCABULARY} normalise={settings.WHISPER_NORMALISE} "
            f"cpus={os.cpu_count()} warm-up={warmup:.2f}s"
        )
        print(
            f"held out: agencies {', '.join(corpus['held_out_agencies'])} and calls "
            f"{', '.join(corpus['held_out_calls'])}"
        )
        print(
            f"{'call':<6}{'set':<9}{'ch':>3}{'audio s':>9}{'asr s':>7}{'RTF':>7}{'WER':>6}"
            f"{'WERn':>6}{'attr':>6}  channels"
        )
        analyser = OfflineAnalyser()
        cards = {
            (source, part): Scorecard()
            for source in ("asr", "reference")
            for part in ("heldout", "tuning")
        }
        rows = []
        mono_options = {
            "one speaker, roles unknown (before)": None,
            "clusters + level": {"use_text": False, "use_level": True},
            "clusters + text cues": {"use_text": True, "use_level": False},
            "clusters + text cues + level": {"use_text": True, "use_level": True},
        }
        attribution: dict[str, dict[str, list[int]]] = {
            name: {"heldout": [0, 0], "tuning": [0, 0]} for name in mono_options
        }
        for call in corpus["calls"]:
            part = "heldout" if call["held_out"] else "tuning"
            if only and call["id"] not in only:
                continue
            if args.split != "all" and args.split != part:
                continue
            entry = manifest[call["id"]]
            path = AUDIO_DIR / entry["recording"]
            context = analysis_context(corpus, call)
            vocabulary = vocabulary_from_context(context)
            began = time.perf_counter()
            transcript = recording_transcribe(path, provider=provider, vocabulary=vocabulary)
            seconds = time.perf_counter() - began
            hypothesis = " ".join(s["text"] for s in transcript.segments)
            reference = (AUDIO_DIR / entry["files"]["transcript"]).read_text()
            errors, ref_words = wer_counts(reference, hypothesis, numbers=False)
            errors_n, ref_words_n = wer_counts(reference, hypothesis, numbers=True)
            row = {
                "call": call["id"],
                "set": part,
                "channels": entry["channels"],
                "audio_seconds": entry["duration_s"],
                "transcribe_seconds": round(seconds, 2),
                "rtf": round(seconds / entry["duration_s"], 3),
                "errors": errors,
                "ref_words": ref_words,
                "wer": round(ratio(errors, ref_words), 3),
                "errors_numbers": errors_n,
                "ref_words_numbers": ref_words_n,
                "wer_numbers": round(ratio(errors_n, ref_words_n), 3),
                "channel_reports": [vars(c) for c in transcript.channels],
                "warnings": transcript.warnings,
                "attribution": None,
            }
            if entry["channels"] == 1:
                # The options side by side, on the same first-pass words.
                samples = audio_decode(path).channels[0]
                raws, _report, _warning = channel_transcribe(
                    provider, samples, channel="mono", options=decode_options(vocabulary)
                )
                for name, option in mono_options.items():
                    if option is None:
                        segments = [
                            {
                                "speaker": "Speaker 1",
                                "role": "unknown",
                                "text": r.text,
                                "start": r.start,
                                "end": r.end,
                                "confidence": r.confidence,
                                "translation": None,
                            }
                            for r in raws
                        ]
                        roles = analyser.analyse(segments=segments, context=context).get(
                            "speaker_roles", {}
                        )
                        for seg in segments:
                            seg["role"] = roles.get(seg["speaker"], "unknown")
                    else:
                        segments = mono_attribute(
                            samples,
                            raws,
                            seller_name=vocabulary.seller_name,
                            buyer_name=vocabulary.buyer_name,
                            agency_name=vocabulary.agency_name,
                            **option,
                        ).segments
                    right, total = attribution_accuracy(segments, entry)
                    attribution[name][part][0] += right
                    attribution[name][part][1] += total
                right, total = attribution_accuracy(transcript.segments, entry)
                row["attribution"] = round(ratio(right, total), 3)
            if not args.no_analysis:
                started = time.perf_counter()
                result = analyser.analyse(segments=transcript.segments, context=context)
                cards[("asr", part)].add(
                    call, result, context.timezone, time.perf_counter() - started
                )
                result = analyser.analyse(segments=reference_segments(entry), context=context)
                cards[("reference", part)].add(call, result, context.timezone, 0.0)
            rows.append(row)
            channels = " ".join(
                f"{c.channel}:{c.speech_seconds:.0f}s/{c.words}w/{c.coverage:.2f}"
                + ("R" if c.retried else "")
                + ("!LOST" if c.lost else "")
                for c in transcript.channels
            )
            attr = "" if row["attribution"] is None else f"{row['attribution']:.2f}"
            print(
                f"{row['call']:<6}{part:<9}{row['channels']:>3}{row['audio_seconds']:>9.1f}"
                f"{row['transcribe_seconds']:>7.1f}{row['rtf']:>7.3f}{row['wer']:>6.2f}"
                f"{row['wer_numbers']:>6.2f}{attr:>6}  {channels}",
                flush=True,
            )
            if args.verbose:
                for seg in transcript.segments:
                    print(f"      [{seg['start']:6.1f}] {seg['role']:<7} {seg['text']}")

        summary: dict = {"rows": rows, "held_out_agencies": corpus["held_out_agencies"]}
        print(
            "\nWord error rate (corpus-level: errors / reference words; WERn: numbers "
            "normalised on both sides)"
        )
        for label, subset in (
            ("held-out", [r for r in rows if r["set"] == "heldout"]),
            ("tuning", [r for r in rows if r["set"] == "tuning"]),
            ("whole", rows),
        ):
            if not subset:
                continue
            wer = ratio(sum(r["errors"] for r in subset), sum(r["ref_words"] for r in subset))
            wer_n = ratio(
                sum(r["errors_numbers"] for r in subset),
                sum(r["ref_words_numbers"] for r in subset),
            )
            mean_call = sum(r["wer"] for r in subset) / len(subset)
            audio = sum(r["audio_seconds"] for r in subset)
            rtf = ratio(sum(r["transcribe_seconds"] for r in subset), audio)
            summary[f"wer_{label}"] = round(wer, 3)
            summary[f"wer_numbers_{label}"] = round(wer_n, 3)
            summary[f"rtf_{label}"] = round(rtf, 3)
            print(
                f"  {label:<9} {len(subset):>2} calls  WER {wer:.3f}  WERn {wer_n:.3f}  "
                f"(mean per call {mean_call:.3f})  transcription RTF {rtf:.3f}"
            )

        lost = [(r["call"], c["channel"]) for r in rows for c in r["channel_reports"] if c["lost"]]
        warned = {(r["call"], w["channel"]) for r in rows for w in r["warnings"]}
        silent = [item for item in lost if item not in warned]
        retried = sum(1 for r in rows for c in r["channel_reports"] if c["retried"])
        summary.update(
            {"channels_lost": lost, "channels_dropped_silently": silent, "retried": retried}
        )
        print(
            f"\nChannels: {sum(len(r['channel_reports']) for r in rows)}, retried {retried}, "
            f"still lost {len(lost)} (all with a warning: {not silent}); "
            f"dropped silently: {len(silent)}"
        )

        if any(v["heldout"][1] + v["tuning"][1] for v in attribution.values()):
            print("\nMono speaker attribution (words with the right role)")
            summary["attribution"] = {}
            for name, parts in attribution.items():
                h, t = parts["heldout"], parts["tuning"]
                whole = [h[0] + t[0], h[1] + t[1]]
                summary["attribution"][name] = {
                    "heldout": round(ratio(*h), 3),
                    "tuning": round(ratio(*t), 3),
                    "whole": round(ratio(*whole), 3),
                }
                print(
                    f"  {name:<34} held-out {ratio(*h):.3f} ({h[1]} words)  "
                    f"tuning {ratio(*t):.3f}  whole {ratio(*whole):.3f}"
                )

        if not args.no_analysis:
            for source in ("asr", "reference"):
                for label, parts in (
                    ("held-out", ["heldout"]),
                    ("whole", ["heldout", "tuning"]),
                ):
                    merged = Scorecard()
                    for p in parts:
                        card = cards[(source, p)]
                        for key, value in vars(card).items():
                            if isinstance(value, int):
                                setattr(merged, key, getattr(merged, key) + value)
                            elif isinstance(value, list):
                                getattr(merged, key).extend(value)
                    if not merged.calls:
                        continue
                    name = "end to end (ASR)" if source == "asr" else "reference text"
                    print(f"\nAnalysis, {name}, {label}:")
                    for line in merged.lines()[:-1]:
                        print("  " + line)
                    summary[f"analysis_{source}_{label}"] = {
                        "action_recall": round(merged.action_recall, 3),
                        "action_precision": round(merged.action_precision, 3),
                        "due_accuracy": round(merged.due_accuracy, 3),
                        "product_recall": round(merged.product_recall, 3),
                        "stage_accuracy": round(merged.stage_accuracy, 3),
                        "objection_recall": round(merged.objection_recall, 3),
                    }

        status = 0
        if not args.no_speed:
            path = five_minute_call(manifest, Path(tmp) / "five-minutes-stereo.wav")
            call = next(c for c in corpus["calls"] if not c["held_out"])
            job = make_job(path, corpus, call)
            began = time.perf_counter()
            outcome = processing.job_run(job_id=str(job.pk), final_attempt=True)
            job_seconds = time.perf_counter() - began
            if outcome != "completed":
                raise SystemExit(
                    f"5-minute call: job {outcome}: {Job.objects.get(pk=job.pk).error}"
                )
            job_rtf = job_seconds / SPEED_SECONDS
            summary["five_minute_job_seconds"] = round(job_seconds, 1)
            summary["five_minute_job_rtf"] = round(job_rtf, 3)
            print(
                f"\nSpeed: a 5-minute stereo call through the whole job in {job_seconds:.1f} s "
                f"= {job_rtf:.3f} x its duration (target <= 0.3) on {os.cpu_count()} cores"
            )
            if args.max_rtf is not None and job_rtf > args.max_rtf:
                print(f"FAIL: job RTF {job_rtf:.3f} > {args.max_rtf}")
                status = 1
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(summary, indent=2, default=str))
    return status


if __name__ == "__main__":
    sys.exit(main())
