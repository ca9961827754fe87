#!/usr/bin/env python
"""Benchmark of the processing pipeline on the demo recordings (demo/recordings).

Reports, per recording: audio length, transcription time and real-time factor (RTF = processing
time / audio time), word error rate against the script, and the end-to-end job time (load ->
transcribe -> analyse -> persist) with the configured providers (offline by default).

Runs on a throwaway SQLite database and media folder, so it never touches your data:

    .venv/bin/python bench/pipeline.py [--repeat N] [--max-rtf 0.25] [--json out.json]
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "demo" / "recordings"


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


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / max(1, len(ref))


def make_job(path: Path):
    from django.core.files import File
    from model_bakery import baker

    from agencies.models import Agency, Buyer
    from meetings.models import Job, Meeting
    from products.models import Product
    from sellers.models import Seller

    agency = Agency.objects.first() or baker.make(Agency, name="Bench Agency")
    if not Product.objects.filter(agency=agency).exists():
        for name in ("Term Shield", "Health Plus Family", "Motor Secure"):
            baker.make(Product, agency=agency, name=name, features=[])
    seller = Seller.objects.first() or baker.make(
        Seller, agency=agency, email="bench@example.com", phone="+919800000001", name="Priya"
    )
    buyer = baker.make(Buyer, agency=agency, phone=f"+9198111{Buyer.objects.count():05d}")
    meeting = baker.make(
        Meeting,
        agency=agency,
        seller=seller,
        buyer=buyer,
        title="Call",
        start_time=datetime(2026, 11, 9, 5, 0, tzinfo=UTC),
    )
    with path.open("rb") as handle:
        meeting.recording.save(path.name, File(handle), save=True)
    return baker.make(Job, meeting=meeting)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per recording")
    parser.add_argument("--max-rtf", type=float, default=None, help="fail above this mean RTF")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chirpworks-bench-") as tmp:
        setup_django(Path(tmp))
        from django.conf import settings

        from meetings import processing
        from meetings.models import Job
        from meetings.transcription import get_transcription_provider, transcribe_recording
        from meetings.transcription.audio import audio_decode

        provider = get_transcription_provider()
        began = time.perf_counter()
        if hasattr(provider, "transcribe"):  # load the model once, as a worker does
            transcribe_recording(RECORDINGS / "d6-mono.ogg", provider=provider)
        warmup = time.perf_counter() - began
        print(
            f"provider={provider.name} model={settings.WHISPER_MODEL or 'tiny.en (bundled)'} "
            f"compute={settings.WHISPER_COMPUTE_TYPE} threads={settings.WHISPER_CPU_THREADS} "
            f"beam={settings.WHISPER_BEAM_SIZE} cpus={os.cpu_count()} warm-up={warmup:.2f}s"
        )
        print(
            f"{'recording':<16}{'ch':>3}{'audio s':>9}{'transcribe s':>14}{'RTF':>7}"
            f"{'WER':>7}{'job s':>8}"
        )
        rows = []
        for path in sorted(RECORDINGS.glob("*.*")):
            if path.suffix == ".txt":
                continue
            audio = audio_decode(path)
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                segments = transcribe_recording(path, provider=provider)
                times.append(time.perf_counter() - began)
            best = min(times)
            reference = path.with_name(path.name.split("-")[0] + ".txt")
            hypothesis = " ".join(s["text"] for s in segments)
            wer = word_error_rate(reference.read_text(), hypothesis) if reference.exists() else None
            job = make_job(path)
            began = time.perf_counter()
            outcome = processing.job_run(job_id=str(job.pk), final_attempt=True)
            job_seconds = time.perf_counter() - began
            if outcome != "completed":
                raise SystemExit(f"{path.name}: job {outcome}: {Job.objects.get(pk=job.pk).error}")
            row = {
                "recording": path.name,
                "channels": len(audio.channels),
                "audio_seconds": round(audio.duration, 2),
                "transcribe_seconds": round(best, 3),
                "rtf": round(best / audio.duration, 3),
                "wer": None if wer is None else round(wer, 3),
                "job_seconds": round(job_seconds, 3),
            }
            rows.append(row)
            print(
                f"{row['recording']:<16}{row['channels']:>3}{row['audio_seconds']:>9.1f}"
                f"{row['transcribe_seconds']:>14.2f}{row['rtf']:>7.3f}"
                f"{'' if wer is None else format(wer, '.2f'):>7}{row['job_seconds']:>8.2f}"
            )

        audio_total = sum(r["audio_seconds"] for r in rows)
        rtf = sum(r["transcribe_seconds"] for r in rows) / audio_total
        summary = {
            "rows": rows,
            "overall_rtf": round(rtf, 3),
            "mean_job_seconds": round(sum(r["job_seconds"] for r in rows) / len(rows), 2),
            "warmup_seconds": round(warmup, 2),
        }
        print(
            f"overall RTF {summary['overall_rtf']:.3f} (target <= 0.25); "
            f"mean end-to-end job {summary['mean_job_seconds']:.2f}s"
        )
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2))
        if args.max_rtf is not None and rtf > args.max_rtf:
            print(f"FAIL: RTF {rtf:.3f} > {args.max_rtf}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
