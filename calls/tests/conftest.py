"""Fixtures for the calls tests: call rows, a recorder for queued jobs, a local recording server."""

import base64
import io
import json
import threading
import wave
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.db import connection
from model_bakery import baker

from calls.models import AppCallStatus, CallType, ExotelCall, ExotelStatus, MobileAppCall

BUYER = "+919812345678"


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions: SQLite serialises every writer")


@pytest.fixture
def enqueued_jobs(monkeypatch) -> list[str]:
    """Job ids sent to ``meetings.tasks.process_job`` (the pipeline lives in another issue)."""
    from celery import current_app

    process_job = current_app.tasks["meetings.tasks.process_job"]  # by name: pipeline is above

    sent: list[str] = []
    monkeypatch.setattr(process_job, "delay", lambda job_id: sent.append(job_id))
    return sent


@pytest.fixture
def make_app_call(db) -> Callable[..., MobileAppCall]:
    counter = iter(range(1_000_000))

    def make(seller, start: datetime, seconds: int = 60, **fields) -> MobileAppCall:
        fields.setdefault("app_call_id", f"app-{next(counter)}")
        fields.setdefault("buyer_number", BUYER)
        fields.setdefault("call_type", CallType.OUTGOING)
        fields.setdefault(
            "status", AppCallStatus.PROCESSING if seconds else AppCallStatus.NOT_ANSWERED
        )
        return baker.make(
            MobileAppCall,
            seller=seller,
            seller_number=seller.phone,
            start_time=start,
            end_time=start + timedelta(seconds=seconds),
            duration=seconds,
            **fields,
        )

    return make


@pytest.fixture
def make_exotel_call(db) -> Callable[..., ExotelCall]:
    counter = iter(range(1_000_000))

    def make(seller, start: datetime, seconds: int = 60, recording: str = "rec.mp3", **fields):
        fields.setdefault("call_sid", f"sid-{next(counter)}")
        fields.setdefault("buyer_number", BUYER)
        fields.setdefault("status", ExotelStatus.COMPLETED)
        fields.setdefault("recording_status", "stored" if recording else "none")
        return baker.make(
            ExotelCall,
            agency=seller.agency,
            seller=seller,
            from_number=seller.phone,
            to_number=fields["buyer_number"],
            start_time=start,
            end_time=start + timedelta(seconds=seconds),
            duration=seconds,
            recording=recording,
            **fields,
        )

    return make


class LoopbackRecordingHost:
    """A test server on 127.0.0.1 (``self.url``) that the SSRF guard may be told to trust."""

    url: str

    @property
    def netloc(self) -> str:
        return self.url.removeprefix("http://")

    def allow(self, settings) -> None:
        """Let the SSRF guard fetch from this loopback server, with credentials (tests only)."""
        settings.EXOTEL_DOWNLOAD_ALLOW_LOOPBACK = True
        settings.EXOTEL_RECORDING_HOSTS = [*settings.EXOTEL_RECORDING_HOSTS, self.netloc]
        settings.EXOTEL_CREDENTIAL_HOSTS = [*settings.EXOTEL_CREDENTIAL_HOSTS, self.netloc]


class RecordingServer(LoopbackRecordingHost):
    """A real HTTP server on 127.0.0.1 that answers queued responses and checks basic auth.

    A queued response may be ``(status, body, content_type, {header: value})``. With
    ``require_auth=False`` it answers without checking credentials (it records them either way).
    """

    def __init__(self, username: str, password: str, *, require_auth: bool = True) -> None:
        self.expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.responses: list[tuple] = []
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "host": self.headers.get("Host"),
                    }
                )
                headers: dict = {}
                if require_auth and self.headers.get("Authorization") != server.expected:
                    status, body, kind = 401, b"unauthorised", "text/plain"
                elif server.responses:
                    status, body, kind, *rest = server.responses.pop(0)
                    headers = rest[0] if rest else {}
                else:
                    status, body, kind = 404, b"missing", "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recording_server(settings):
    """A local Exotel recording host the download task is allowed to reach."""
    settings.EXOTEL_API_KEY = "exo-key-123"
    settings.EXOTEL_API_TOKEN = "exo-token-456"
    server = RecordingServer("exo-key-123", "exo-token-456")
    server.allow(settings)
    yield server
    server.close()


@pytest.fixture
def listener(settings):
    """A loopback server that is NOT an allowed host: whatever reaches it is a leak."""
    settings.EXOTEL_API_KEY = "exo-key-123"
    settings.EXOTEL_API_TOKEN = "exo-token-456"
    server = RecordingServer("exo-key-123", "exo-token-456", require_auth=False)
    yield server
    server.close()


class FakeExotel(LoopbackRecordingHost):
    """Exotel's Bulk Call Details API on 127.0.0.1: ``GET /v1/Accounts/<sid>/Calls.json``.

    Filters the rows in ``calls`` by ``DateCreated`` (``gte:…;lte:…``, account time) and
    ``From``, pages with ``PageSize`` and an ``After`` cursor in ``Metadata.NextPageUri`` as
    Exotel does, checks basic auth, and serves recordings at ``/recordings/<name>``. ``status``
    forces an answer (e.g. 429); every request is kept in ``requests``.
    """

    def __init__(self, sid: str, username: str, password: str, tz) -> None:
        self.sid = sid
        self.tz = tz
        self.expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.calls: list[dict] = []
        self.requests: list[dict] = []
        self.status: int | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                fake.requests.append(
                    {"path": parts.path, "query": query, "auth": self.headers.get("Authorization")}
                )
                if self.headers.get("Authorization") != fake.expected:
                    return self.answer(401, b'{"RestException": {"Status": 401}}', "json")
                if fake.status:
                    return self.answer(fake.status, b"{}", "json")
                if parts.path.startswith("/recordings/"):
                    return self.answer(200, wav_bytes(30), "audio/wav")
                if parts.path != f"/v1/Accounts/{fake.sid}/Calls.json":
                    return self.answer(404, b"{}", "json")
                return self.answer(200, json.dumps(fake.page(parts.path, query)).encode(), "json")

            def answer(self, status, body, kind):
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if kind == "json" else kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add_call(self, **row) -> dict:
        row.setdefault("Sid", f"bulk-{len(self.calls)}")
        row.setdefault("ParentCallSid", None)
        row.setdefault("AccountSid", self.sid)
        row.setdefault("Status", "completed")
        row.setdefault("Direction", "outbound-api")
        row.setdefault("DateCreated", row.get("StartTime"))
        self.calls.append(row)
        return row

    def page(self, path: str, query: dict) -> dict:
        gte, lte = (part.split(":", 1)[1] for part in query["DateCreated"].split(";"))

        # Filters take E.164; rows carry numbers as Exotel writes them (e.g. 0XXXXXXXXXX).
        def national(number: str) -> str:
            return "".join(ch for ch in number if ch.isdigit())[-10:]

        froms = {national(n) for n in query["From"].split(",")} if query.get("From") else None
        rows = [
            row
            for row in sorted(self.calls, key=lambda r: r["DateCreated"])
            if gte <= row["DateCreated"] <= lte
            and (froms is None or national(row["From"]) in froms)
        ]
        size = min(int(query.get("PageSize", 50)), 100)
        after = int(query.get("After", 0))
        page = rows[after : after + size]
        next_uri = None
        if after + size < len(rows):
            next_uri = f"{path}?{urlencode({**query, 'After': after + size})}"
        return {
            "Metadata": {
                "Total": len(rows),
                "PageSize": size,
                "FirstPageUri": f"{path}?{urlencode(query)}",
                "PrevPageUri": None,
                "NextPageUri": next_uri,
            },
            "Calls": page,
        }

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_exotel(settings, agency):
    settings.EXOTEL_ACCOUNT_SID = "chirpworks1"
    settings.EXOTEL_API_KEY = "exo-key-123"
    settings.EXOTEL_API_TOKEN = "exo-token-456"
    server = FakeExotel("chirpworks1", "exo-key-123", "exo-token-456", agency.tzinfo)
    settings.EXOTEL_API_HOST = server.url
    server.allow(settings)  # its recordings are downloaded from 127.0.0.1
    yield server
    server.close()
