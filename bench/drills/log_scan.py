"""Log scan for secrets and personal data (issue 17 drills), run after the other drills.

    .venv/bin/python bench/drills/log_scan.py [FILE ...]       # default: var/drills/*.log

Looks for JWTs, the webhook secrets and Exotel credentials of the drill database, the drills'
passwords, ``key=`` / ``password`` values, and raw Indian phone numbers (E.164, 0091, national,
URL-encoded). Written independently of the log scrubber (chirpworks.logging) so it checks it.
Prints a count per category and the first hits (masked); exits 1 if anything was found.
"""

import re
import sys
from pathlib import Path

PATTERNS = {
    "jwt": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "key_param": re.compile(r"[?&]key=(?!\[|%5B|\*|-)[^&\s\"']{6,}"),
    "password_field": re.compile(
        r"""["']?(?:new_|old_)?password["']?\s*[:=]\s*["'](?!\*|\[)[^"']{3,}"""
    ),
    "phone": re.compile(
        r"(?<![\w.%-])(?:\+|%2B|00)?91[\s-]?[6-9]\d{4}[\s-]?\d{5}(?!\d)"
        r"|(?<![\w.%-])0[6-9]\d{9}(?!\d)"
    ),
}


def scan(text: str, secrets: list[str] = ()) -> dict[str, list[str]]:
    """Every hit per category; ``secrets`` are literal values that must never appear."""
    found = {name: pattern.findall(text) for name, pattern in PATTERNS.items()}
    found["secret"] = [s for s in secrets if s and len(s) >= 6 and s in text]
    return {name: hits for name, hits in found.items() if hits}


def mask(value: str) -> str:
    return value[:4] + "…" + value[-2:] if len(value) > 8 else "…"


def drill_secrets() -> list[str]:
    """The webhook secrets and credentials the drills used (from their database), if reachable."""
    secrets = ["drill-exotel-token", "drill-exotel-key", "drill-worker-token", "drill-Pass-7731"]
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import _common

        _common.setup()
        from agencies.models import Agency

        secrets += list(Agency.objects.values_list("exotel_webhook_secret", flat=True))
    except Exception as exc:  # the scan still runs on the literal secrets
        print(f"(database not reachable, scanning for literal secrets only: {type(exc).__name__})")
    return secrets


def main(paths: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    files = [Path(p) for p in paths] or sorted((root / "var" / "drills").glob("*.log"))
    secrets = drill_secrets()
    total = 0
    for file in files:
        hits = scan(file.read_text(errors="replace"), secrets)
        count = sum(len(v) for v in hits.values())
        total += count
        summary = ", ".join(f"{k}: {len(v)}" for k, v in hits.items()) or "clean"
        print(f"{file.name:32} {file.stat().st_size:>9} bytes  {summary}")
        for name, values in hits.items():
            print(f"    {name}: " + ", ".join(mask(v) for v in values[:3]))
    print(f"log scan: {len(files)} files, {total} findings")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
