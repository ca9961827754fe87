"""The README's walk-through, run as written against a live server on the demo data (issue 14).

The test loads the demo, processes its recordings (Celery is eager in tests), then runs the
README's ``sh`` block with bash: ``curl`` is wrapped to fail on an HTTP error and to keep every
answer, and each answer must have content.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from calls.models import ExotelCall, MobileAppCall
from meetings.models import Job, JobStatus, Meeting
from sellers.models import Seller

README = Path(settings.BASE_DIR) / "README.md"
BASE_URL = "http://127.0.0.1:8000"
PRELUDE = r"""
set -euo pipefail
shopt -s inherit_errexit
python3() { "$WALK_PYTHON" "$@"; }
curl() {  # the real curl, failing on an HTTP error, keeping what it was asked and answered
  local record n  # numbered in call order through a file: some calls run in a subshell
  n=$(( $(cat "$WALK_OUT/calls" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$WALK_OUT/calls"
  record=$(printf '%s/call-%04d' "$WALK_OUT" "$n")
  printf '%s\n' "$*" > "$record.cmd"
  command curl --show-error --fail-with-body "$@" | tee "$record.json"
}
"""


def walkthrough() -> str:
    text = README.read_text()
    block = text.split("<!-- walkthrough: start -->", 1)[1].split("<!-- walkthrough: end -->")[0]
    return block.split("```sh\n", 1)[1].rsplit("```", 1)[0]


# Lists that an answer is about: never empty on the demo.
MAIN_LISTS = ("actions", "results", "sellers", "team", "data", "calls", "metrics")


def has_content(value) -> bool:
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, dict):
        if "error" in value or any(value.get(key) == [] for key in MAIN_LISTS):
            return False
        lists = [v for v in value.values() if isinstance(v, list)]
        return any(lists) if lists else any(v for k, v in value.items() if k != "id")
    return value not in (None, "")


@pytest.mark.django_db(transaction=True)
def test_the_demo_and_the_readme_walkthrough(live_server, tmp_path):
    # One test, as processing the six recordings is the slow part (whisper on the CPU).
    call_command("load_demo")  # on commit, each recording's job runs (eager Celery)
    assert Meeting.objects.count() == 12
    assert Job.objects.filter(status=JobStatus.COMPLETED).count() == 6
    assert MobileAppCall.objects.filter(meeting__isnull=True).count() == 8  # missed, no answer
    assert ExotelCall.objects.filter(meeting__isnull=True).count() == 4  # Exotel's no-answer
    demo_is_a_week_ending_now()
    readme_walkthrough_answers_with_content(live_server, tmp_path)


def demo_is_a_week_ending_now():
    tz = Seller.objects.get(email="priya@securelife.example").agency.tzinfo
    today = timezone.now().astimezone(tz).date()
    days = {
        (email, (today - start.astimezone(tz).date()).days)
        for email, start in Meeting.objects.values_list("seller__email", "start_time")
    }
    for email in ("priya@securelife.example", "rahul@securelife.example"):
        assert (email, 0) in days  # some today
        assert {d for e, d in days if e == email} <= set(range(7))
    assert {e for e, _ in days} >= {"manager@securelife.example"}
    assert Meeting.objects.filter(start_time__gt=timezone.now()).count() == 0
    for meeting in Meeting.objects.exclude(recording=""):
        assert meeting.transcription and meeting.summary and meeting.performance.overall_score
        assert meeting.actions.exists()
        assert meeting.title and "+91" not in meeting.title

    call_command("load_demo")  # idempotent
    assert Meeting.objects.count() == 12 and MobileAppCall.objects.count() == 19


def readme_walkthrough_answers_with_content(live_server, tmp_path):
    script = PRELUDE + walkthrough().replace(BASE_URL, live_server.url)
    # coreutils' `timeout` bounds the walkthrough, not subprocess's own timeout: that polls with
    # time.sleep, which fails with EINVAL under libfaketime (CI's shifted-clock pass).
    run = subprocess.run(  # noqa: S603
        ["timeout", "300", "bash", "-c", script],  # noqa: S607
        env={"PATH": "/usr/bin:/bin", "WALK_PYTHON": sys.executable, "WALK_OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr + run.stdout[-2000:]

    answers: dict[str, object] = {}
    for command in sorted(tmp_path.glob("*.cmd")):
        url = next(arg for arg in command.read_text().split() if arg.startswith(live_server.url))
        body = command.with_suffix(".json").read_text()
        answer = json.loads(body)
        assert has_content(answer), (url, body[:300])
        # The first answer for a URL: the README calls some twice, as a seller then a manager.
        answers.setdefault(url[len(live_server.url) :], answer)

    # Every URL the README shows was called.
    for template in set(re.findall(r'"\$API(/[^"]*)"', walkthrough())):
        pattern = re.escape(template).replace(r"\&", "&")
        pattern = re.sub(r"\\\$[A-Z_]+", r"[^\"/]+", pattern)
        assert any(re.fullmatch(f"/api{pattern}", url) for url in answers), template

    def answer(prefix: str):
        return next(body for url, body in answers.items() if url.startswith(prefix))

    transcript = answer("/api/meetings/call_data/transcription/")["transcription"]
    assert isinstance(transcript, str) and json.loads(transcript)[0]["text"]
    assert answer("/api/meetings/call_data/feedback/")
    assert answer("/api/actions/?status=pending")["actions"][0]["due_date"]
    team_history = answer("/api/meetings/call_history?time_frame=this_week&team_member_ids")
    sellers = {row["seller_number"] for row in team_history}
    assert {"+91 9822200001", "+91 9822200002"} <= sellers  # Priya and Rahul
    assert any(row["analysis_status"] == "Completed" for row in team_history)
    own = answer("/api/meetings/call_history")  # Priya's today
    assert any(row["analysis_status"] == "Completed" for row in own)
