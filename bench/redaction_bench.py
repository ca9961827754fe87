"""Cost of keeping personal data in: redacting transcripts, scrubbing log lines.

    .venv/bin/python bench/redaction_bench.py

Prints the time to redact a 30-minute call's transcript (360 segments) and to scrub 10,000
JSON log lines like the webhook's, each the median of 5 runs, in CPU time (process time: the
figure does not depend on how busy a shared machine is).
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.test")

import django

django.setup()

from chirpworks.logging import scrub  # noqa: E402
from chirpworks.redaction import transcript_redact  # noqa: E402

LINES = [
    "My Aadhaar is 2341 2341 2346 and my PAN is ABCPE1234F.",
    "Sure sir, the premium for Term Shield is 12000 a year for twenty years.",
    "You can call me on 98123 45678 or mail arjun.mehta@example.com.",
    "The account is 5010 0123 4567 9 at HDFC, IFSC HDFC0001234.",
    "This call is recorded for quality and training purposes.",
    "Okay, I will think about it and let you know by Friday.",
]
SEGMENTS = [
    {"speaker": "s", "role": "seller", "text": LINES[i % len(LINES)], "start": i * 5.0}
    for i in range(360)
]
LOG_LINE = json.dumps(
    {
        "time": "2026-11-18 11:30:00,035",
        "level": "WARNING",
        "logger": "django.request",
        "message": "Bad Request: /api/call_records/post_exotel_recording",
        "request": "GET /api/call_records/post_exotel_recording?key=s3cr3t&CallSid=abc"
        "&CallFrom=%2B919812345678",
        "status_code": 400,
    }
)


def median_ms(work, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        began = time.process_time()
        work()
        times.append((time.process_time() - began) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    redact = median_ms(lambda: transcript_redact(SEGMENTS, patterns=[r"POL-\d{4}-\d{6}"]))
    logs = median_ms(lambda: [scrub(LOG_LINE) for _ in range(10_000)])
    print(f"redact a 360-segment transcript: {redact:.1f} ms CPU")
    print(f"scrub 10,000 JSON log lines: {logs:.0f} ms CPU ({logs / 10:.1f} µs a line)")
