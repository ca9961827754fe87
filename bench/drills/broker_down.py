"""Broker-down drill (issue 17 #7): Redis, the broker and cache, is unreachable.

    .venv/bin/python bench/drills/broker_down.py

Phase "down" (this process, broker and cache on a closed port, PostgreSQL up): the call-log
sync, the Exotel webhook and buyers/create must answer success with their rows saved and their
work left in the outbox; login and search must answer 503 service_unavailable JSON. Phase "up"
(a fresh process on Redis db 5): the beat sweeps send what the outbox holds. Prints the figures;
exits 1 on any unexpected answer. Logs go to var/drills/broker-down.log for the log scan.
"""

import argparse
import json
import logging
import socket
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

PASSWORD = "drill-Pass-7731"  # noqa: S105


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_to_file(name: str) -> None:
    handler = logging.FileHandler(_common.LOG_DIR / name)
    console = logging.getLogger().handlers[0]
    handler.setFormatter(console.formatter)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    logging.getLogger().addHandler(handler)


def phase_down() -> int:
    dead = f"redis://127.0.0.1:{closed_port()}/5"
    _common.setup(REDIS_URL=dead, CELERY_BROKER_URL=dead, DJANGO_ALLOWED_HOSTS="testserver")
    log_to_file("broker-down.log")
    from django.test import Client

    from agencies.models import Agency, Buyer
    from calls.models import ExotelCall, MobileAppCall
    from sellers.models import Role, Seller

    run = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Broker drill {run}")
    phone = f"+91982{int(run, 16) % 10**7:07d}"
    seller = Seller.objects.create_user(
        f"drill-{run}@example.com",
        PASSWORD,
        agency=agency,
        name="Drill",
        phone=phone,
        role=Role.USER,
    )
    from sellers.services import tokens_issue

    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens_issue(seller=seller).access}"}
    client = Client()
    answers: dict[str, int] = {}
    expected = {
        "sync": 200,
        "webhook": 200,
        "buyers/create": 201,
        "login": 503,
        "buyers/search": 503,
        "search": 503,
    }

    answers["sync"] = client.post(
        "/api/call_records/post_app_call_record",
        json.dumps(
            [
                {
                    "sellerNumber": phone,
                    "appCallId": f"drill-{run}",
                    "buyerNumber": "9812345678",
                    "callType": "outgoing",
                    "startTime": "2026-11-30T10:00:00",
                    "duration": 60,
                }
            ]
        ),
        content_type="application/json",
        **auth,
    ).status_code
    answers["webhook"] = client.get(
        "/api/call_records/post_exotel_recording",
        {
            "key": agency.exotel_webhook_secret,
            "CallSid": f"sid-{run}",
            "CallFrom": "0" + phone[3:],
            "CallTo": "08047112233",
            "DialWhomNumber": "09812345678",
            "CallStatus": "completed",
            "StartTime": "2026-11-30 10:00:00",
            "DialCallDuration": "60",
            "RecordingUrl": f"https://recordings.exotel.com/exotelrecordings/drill/{run}.mp3",
        },
    ).status_code
    answers["buyers/create"] = client.post(
        "/api/buyers/create",
        json.dumps({"name": "Zoya", "phone": "+919877700000"}),
        content_type="application/json",
        **auth,
    ).status_code
    login = client.post(
        "/api/auth/login",
        json.dumps({"email": seller.email, "password": PASSWORD}),
        content_type="application/json",
    )
    answers["login"] = login.status_code
    answers["buyers/search"] = client.get("/api/buyers/search", {"q": "zoya"}, **auth).status_code
    answers["search"] = client.post(
        "/api/search/", json.dumps({"query": "premium"}), content_type="application/json", **auth
    ).status_code
    call = ExotelCall.objects.get(call_sid=f"sid-{run}")
    saved = {
        "app calls": MobileAppCall.objects.filter(seller=seller).count(),
        "exotel calls": 1,
        "buyers": Buyer.objects.filter(agency=agency).count(),
    }
    print("broker-down drill, phase down (broker and cache unreachable):")
    for name, status in answers.items():
        mark = "ok" if status == expected[name] else f"EXPECTED {expected[name]}"
        print(f"  {name:14} {status}  {mark}")
    print(f"  login body     {login.content.decode()[:90]}")
    print(f"  rows saved     {saved}")
    print(f"  recording      {call.recording_status}, queued_at={call.recording_queued_at}")
    ok = answers == expected and call.recording_queued_at is None and all(saved.values())
    return 0 if ok else 1


def phase_up() -> int:
    _common.setup(OUTBOX_UNSENT_GRACE="0")
    log_to_file("broker-down.log")
    from calls.recording_services import exotel_recordings_sweep
    from calls.selectors import exotel_recordings_unsent
    from chirpworks.celery import app

    waiting = exotel_recordings_unsent().count()
    sent = exotel_recordings_sweep()
    with app.connection_for_write() as conn:
        queued = conn.default_channel.client.llen("celery")
    app.control.purge()  # the drill's downloads point at Exotel: nothing here may fetch them
    print("broker-down drill, phase up (broker back):")
    print(f"  pending downloads in the outbox  {waiting}")
    print(f"  sent by the sweep                {len(sent)}")
    print(f"  messages on the queue            {queued}")
    ok = waiting >= 1 and len(sent) == waiting and queued >= len(sent)
    print("  result                           " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=["down", "up", "both"], default="both")
    args = parser.parse_args()
    if args.phase == "down":
        return phase_down()
    if args.phase == "up":
        return phase_up()
    down = subprocess.run([sys.executable, __file__, "--phase", "down"], check=False)  # noqa: S603
    up = subprocess.run([sys.executable, __file__, "--phase", "up"], check=False)  # noqa: S603
    return down.returncode or up.returncode


if __name__ == "__main__":
    sys.exit(main())
