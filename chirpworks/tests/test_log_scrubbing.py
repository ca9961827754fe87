"""Every field of a log record is scrubbed, not only the message (issue 17, item 3).

The drill found the webhook's ``?key=`` secret ten times in the JSON log, and phone numbers
URL-encoded: Django's ``django.request`` records carry the request, whose text is the request
line with its query string, as an extra field the JSON formatter wrote out.
"""

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from chirpworks.logging import LogContextFilter, find_leaks, scrub, scrub_value

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK = "/api/call_records/post_exotel_recording"
PHONE = "+919812345678"


def _handler(formatter_name: str) -> tuple[logging.Handler, io.StringIO]:
    """A handler built exactly as the settings' LOGGING builds the console one."""
    stream = io.StringIO()
    configurator = logging.config.DictConfigurator(django_settings.LOGGING)
    config = dict(django_settings.LOGGING["formatters"][formatter_name])
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configurator.configure_formatter(config))
    handler.addFilter(LogContextFilter())
    return handler, stream


@pytest.fixture(params=["json", "plain"])
def log_output(request):
    handler, stream = _handler(request.param)
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_webhook_error_logs_neither_its_key_nor_its_phones(api_client, agency, log_output):
    # A correct key, a bad CallSid: Django logs "Bad Request" with the request attached.
    response = api_client.get(
        f"{WEBHOOK}?key={agency.exotel_webhook_secret}&CallSid=../x"
        f"&CallFrom=%2B919812345678&CallTo=0%2098123%2045678&Email=priya%40example.com"
    )
    assert response.status_code == 400
    output = log_output.getvalue()
    assert "Bad Request" in output  # the line was written...
    assert agency.exotel_webhook_secret not in output  # ...without the secret
    for leak in ("919812345678", "98123", "priya", "%40example"):
        assert leak not in output
    assert find_leaks(output) == []


@pytest.mark.django_db
def test_the_json_request_field_is_method_and_path_only(api_client, agency):
    handler, stream = _handler("json")
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        api_client.get(f"{WEBHOOK}?key={agency.exotel_webhook_secret}&CallSid=../x")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["request"] == f"GET {WEBHOOK}"
    assert line["status_code"] == 400


def test_extra_fields_args_and_exceptions_are_scrubbed(log_output):
    logger = logging.getLogger("chirpworks.tests.scrub")
    logger.setLevel(logging.INFO)
    try:
        raise ValueError(f"cannot reach {PHONE} or ops@example.com with token=abc123xyz")
    except ValueError:
        logger.exception(
            "sync for %s failed",
            "rahul@example.com",
            extra={
                "buyer_phone": "0091 98123 45678",
                "payload": {"password": "hunter2", "to": ["a@b.co"], "n": 3},
                "api_key": "exo-key-123",
            },
        )
    output = log_output.getvalue()
    for leak in (
        "9812345678",
        "98123 45678",
        "ops@example.com",
        "rahul@",
        "a@b.co",
        "hunter2",
        "abc123xyz",
        "exo-key-123",
    ):
        assert leak not in output
    assert "ValueError" in output and "sync for [email] failed" in output


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("GET /hook?key=s3cr3t&CallSid=1", "s3cr3t"),
        ("GET /hook?CallFrom=%2B919812345678", "9812345678"),
        ("GET /hook?CallFrom=%252B919812345678", "9812345678"),  # encoded twice
        ("GET /hook?to=%2B91+98123+45678", "98123"),
        ("mail to priya%40example.com", "priya"),
        ("mail to priya@example.com", "priya@example.com"),
        ('{"refresh_token": "abc.def"}', "abc.def"),
        ("Authorization: Basic ZXhvLWtleTpleG8tdG9rZW4=", "ZXhvLWtleTpleG8tdG9rZW4="),
        ("X-Exotel-Key: s3cr3t-header", "s3cr3t-header"),
        ("https://s3.example.com/a.mp3?X-Amz-Signature=deadbeef01", "deadbeef01"),
    ],
)
def test_scrub_redacts_secrets_emails_and_encoded_phones(text, leak):
    assert leak not in scrub(text)
    assert find_leaks(text)


def test_scrub_value_walks_containers_and_redacts_secret_names():
    value = {"token": "x", "nested": [{"phone": PHONE}], "count": 2, "ok": True}
    assert scrub_value(value) == {
        "token": "[redacted]",
        "nested": [{"phone": "[phone]"}],
        "count": 2,
        "ok": True,
    }


@pytest.mark.django_db
class TestWebhookKeyInAHeader:
    def test_the_key_may_come_in_x_exotel_key(self, api_client, agency):
        response = api_client.get(
            WEBHOOK, {"CallSid": "sid-header"}, HTTP_X_EXOTEL_KEY=agency.exotel_webhook_secret
        )
        assert response.status_code == 202

    def test_a_wrong_header_key_is_403(self, api_client, agency):
        response = api_client.get(WEBHOOK, {"CallSid": "sid-header"}, HTTP_X_EXOTEL_KEY="wrong")
        assert response.status_code == 403
        assert response.json()["code"] == "invalid_webhook_key"


def test_gunicorn_s_access_log_drops_query_strings():
    config: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), config)  # noqa: S102 (our own config file)
    fmt = config["access_log_format"]
    assert "%(U)s" in fmt  # the path...
    for atom in ("%(r)s", "%(q)s", "%(f)s"):  # ...never the request line, query or referer
        assert atom not in fmt


def _production(**env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("EMAIL_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    base.update(
        DJANGO_SETTINGS_MODULE="chirpworks.settings.production",
        DJANGO_SECRET_KEY="prod-secret-for-the-test",
        DJANGO_ALLOWED_HOSTS="api.example.com",
        **env,
    )
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    )
    return subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True
    )


class TestProductionMail:
    def test_start_up_fails_without_email_url(self):
        result = _production()
        assert result.returncode != 0
        assert "EMAIL_URL must be set in production" in result.stderr

    @pytest.mark.parametrize("url", ["consolemail://", "filemail:///tmp/mail"])
    def test_start_up_fails_with_a_console_or_file_backend(self, url):
        result = _production(EMAIL_URL=url)
        assert result.returncode != 0
        assert "real mail server" in result.stderr

    def test_an_smtp_url_starts(self):
        result = _production(EMAIL_URL="smtp+tls://user:pw@smtp.example.com:587")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"
