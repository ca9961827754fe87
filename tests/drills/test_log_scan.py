"""The log scan (bench/drills/log_scan.py) over the logs of a drill session: webhooks with the
secret in the query string, logins, syncs with phone numbers, bad inputs and failures. Nothing
secret or personal may reach a log line, at any level, in the production (JSON) format."""

import importlib.util
import io
import json
import logging
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from chirpworks.logging import LogContextFilter

SCAN_PATH = Path(__file__).resolve().parents[2] / "bench" / "drills" / "log_scan.py"
spec = importlib.util.spec_from_file_location("log_scan", SCAN_PATH)
log_scan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(log_scan)

pytestmark = pytest.mark.django_db


def test_the_scan_finds_what_it_looks_for():
    text = (
        "GET /api/call_records/post_exotel_recording?key=Zx81kQ9wLm&CallSid=1 "
        '"password": "hunter22" '
        "token eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJlLXNpZ24 "
        "from +919812345678 to 09812345678 and %2B919812345678"
    )
    hits = log_scan.scan(text, ["s3cret-webhook"])
    assert set(hits) == {"jwt", "key_param", "password_field", "phone"}
    assert len(hits["phone"]) == 3
    assert log_scan.scan("job took 1234567890 ms; id 48fb2e59-d1a3-4f02-9557-6263c634cc45") == {}
    assert log_scan.scan("key s3cret-webhook leaked", ["s3cret-webhook"]) == {
        "secret": ["s3cret-webhook"]
    }


@pytest.fixture
def captured_logs():
    """Every record of every logger at DEBUG, formatted as production does (JSON lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter_config = django_settings.LOGGING["formatters"]["json"]
    formatter_class = import_string(formatter_config["()"])  # the formatter production uses
    handler.setFormatter(
        formatter_class(formatter_config["fmt"], rename_fields=formatter_config["rename_fields"])
    )
    handler.addFilter(LogContextFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_drill_session_leaves_no_secret_in_the_logs(
    captured_logs, api_client, client_for, agency, seller
):
    password = "s3cret-pass!"  # the conftest's password of every seller
    key = agency.exotel_webhook_secret
    webhook = "/api/call_records/post_exotel_recording"
    phone_national = "0" + seller.phone[3:]
    base = {"CallFrom": phone_national, "CallTo": "08047112233", "DialWhomNumber": "09812345678"}
    api_client.get(webhook, {"key": key, "CallSid": "sid-log-1", "CallStatus": "completed", **base})
    api_client.get(webhook, {"key": key, "CallSid": "sid-log-2", "DialCallDuration": "1e308"})
    api_client.get(webhook, {"key": "wrong-key-123456", "CallSid": "sid-log-3"})
    api_client.post(webhook + f"?key={key}", {"CallSid": "sid-log-4", **base})
    login = api_client.post(
        "/api/auth/login", {"email": seller.email, "password": password}, format="json"
    )
    api_client.post("/api/auth/login", {"email": seller.email, "password": "wrong-pw-1"})
    tokens = login.json()
    api_client.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    client = client_for(seller)
    item = {
        "sellerNumber": seller.phone,
        "appCallId": "log-1",
        "buyerNumber": "98123 45678",
        "callType": "outgoing",
        "startTime": "2025-03-01T10:00:00",
        "duration": 30,
    }
    client.post("/api/call_records/post_app_call_record", [item], format="json")
    client.post(
        "/api/call_records/post_app_call_record", [{**item, "duration": 1e12}], format="json"
    )
    client.post("/api/buyers/create", {"name": "Zoya", "phone": "+919877700000"}, format="json")
    client.get("/api/buyers/search", {"q": "9877700000"})
    client.get("/api/no/such/route", {"phone": "+919877700000"})

    text = captured_logs.getvalue()
    assert text.strip(), "the session logged nothing: the scan would prove nothing"
    secrets = [key, password, tokens["access_token"], tokens["refresh_token"], "wrong-pw-1"]
    hits = log_scan.scan(text, secrets)
    leaking = [line[:300] for line in text.splitlines() if log_scan.scan(line, secrets)]
    assert hits == {}, json.dumps({"hits": hits, "lines": leaking[:5]}, indent=1)[:3000]
