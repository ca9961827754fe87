"""The bad-input list (``bad_inputs.json``): every case answers its 4xx as JSON and writes nothing.

The list is data so it grows: add the request that found a 500, with the status it must get.
Runs on SQLite and, in CI's second pass, on PostgreSQL (where NUL characters and lone surrogates
fail inside the driver, which is why they are refused at the door).
"""

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

CASES = json.loads((Path(__file__).with_name("bad_inputs.json")).read_text())["cases"]
WORKER_TOKEN = "drill-worker-token"

pytestmark = pytest.mark.django_db


def sync_item(seller) -> dict:
    return {
        "sellerNumber": seller.phone,
        "appCallId": "bad-input-1",
        "buyerNumber": "98123 45678",
        "callType": "outgoing",
        "startTime": "2025-03-01T10:00:00",
        "endTime": "2025-03-01T10:01:30",
        "duration": "90",
    }


def expand(value, seller):
    """A case's JSON with ``{"__item__": true, ...}`` filled in as a valid sync item + overrides."""
    if isinstance(value, list):
        return [expand(v, seller) for v in value]
    if isinstance(value, dict) and value.get("__item__"):
        overrides = {k: v for k, v in value.items() if k != "__item__"}
        return {**sync_item(seller), **overrides}
    return value


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"calls", "agencies", "meetings", "actions", "products"}
    }


@pytest.fixture
def caller(agency, seller, settings, client_for):
    settings.WORKER_SERVICE_TOKEN = WORKER_TOKEN
    anonymous = Client(enforce_csrf_checks=True)  # as a browser-less attacker: no CSRF token
    worker = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {WORKER_TOKEN}")
    seller_client = Client(enforce_csrf_checks=True)
    seller_client.defaults["HTTP_AUTHORIZATION"] = client_for(seller)._credentials[
        "HTTP_AUTHORIZATION"
    ]
    return {"none": anonymous, "worker": worker, "seller": seller_client}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_bad_input_answers_4xx_json_and_writes_nothing(case, caller, agency, seller):
    client = caller[case["as"]]
    path = case["path"].replace("{key}", agency.exotel_webhook_secret)
    extra = {}
    if "content_length" in case:
        extra["CONTENT_LENGTH"] = case["content_length"]
    if case.get("multipart_file"):
        body = {"CallSid": "sid-file-1", "f": SimpleUploadedFile("a.mp3", b"ID3" + b"\0" * 64)}
        request = {"data": body}
    elif "json" in case:
        request = {
            "data": json.dumps(expand(case["json"], seller)),
            "content_type": "application/json",
        }
    elif "size" in case:
        request = {"data": b"[" + b" " * case["size"] + b"]", "content_type": case["content_type"]}
    elif "raw" in case:
        raw = case["raw"].replace("{phone}", seller.phone)
        if raw == "__deep__":
            raw = "[" * 100_000 + "]" * 100_000
        request = {
            "data": raw.encode("utf-8", "surrogatepass"),
            "content_type": case["content_type"],
        }
    else:
        request = {}
    before = row_counts()

    method = case["method"].lower()
    if method == "get":
        response = client.get(path, **extra)
    elif case.get("multipart_file"):
        response = client.post(path, request["data"], **extra)
    else:
        response = getattr(client, method)(path, **request, **extra)

    assert response.status_code in case["expect"], (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert body.get("error") and body.get("code"), body
    assert row_counts() == before, "a refused request wrote rows"
