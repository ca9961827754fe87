"""The recording download is no open proxy: Exotel's hosts only, public addresses only.

The drill's reproduction: a webhook whose RecordingUrl points at a listener on 127.0.0.1 made the
task send ``Authorization: Basic`` with the platform's Exotel key and token to it.
"""

import socket
from datetime import UTC, datetime

import pytest
from model_bakery import baker

from calls.models import ExotelCall, RecordingStatus
from calls.recordings import RecordingDownloadError, recording_url_check
from calls.tasks import download_exotel_recording
from calls.tests.conftest import wav_bytes

pytestmark = pytest.mark.django_db

EXOTEL_URL = "https://recordings.exotel.com/exotelrecordings/acme/sid.mp3"


@pytest.fixture(autouse=True)
def _replay_retries():
    """Eager tasks replay their retries at once, so a refused URL that retried would show it."""
    from chirpworks.celery import app

    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


@pytest.fixture
def pending_call(seller):
    def make(url: str) -> ExotelCall:
        return baker.make(
            ExotelCall,
            agency=seller.agency,
            seller=seller,
            call_sid="sid-ssrf",
            start_time=datetime(2025, 3, 1, 4, 30, tzinfo=UTC),
            recording_url=url,
            recording_status=RecordingStatus.PENDING,
        )

    return make


@pytest.fixture
def resolve_to(monkeypatch):
    """Answer DNS for every name with the given addresses (DNS leaves the process)."""
    calls: list[str] = []

    def install(*addresses: str) -> list[str]:
        def fake(host, port, *args, **kwargs):
            calls.append(host)
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return calls

    return install


def _download(call: ExotelCall) -> ExotelCall:
    download_exotel_recording.apply(args=[str(call.pk)])
    call.refresh_from_db()
    return call


class TestTheDrillsListener:
    def test_a_loopback_listener_gets_no_request_and_no_credentials(self, listener, pending_call):
        call = _download(pending_call(f"{listener.url}/steal.mp3"))
        assert listener.requests == []
        assert call.recording_status == RecordingStatus.FAILED
        assert "refused" in call.recording_error

    def test_loopback_is_refused_even_when_listed_unless_tests_allow_it(
        self, listener, pending_call, settings
    ):
        settings.EXOTEL_RECORDING_HOSTS = [listener.netloc]
        settings.EXOTEL_CREDENTIAL_HOSTS = [listener.netloc]
        call = _download(pending_call(f"https://{listener.netloc}/steal.mp3"))
        assert listener.requests == []
        assert call.recording_status == RecordingStatus.FAILED
        assert "private, loopback or link-local" in call.recording_error

    def test_a_name_resolving_to_loopback_is_refused(self, listener, pending_call, settings):
        port = listener.netloc.rsplit(":", 1)[1]
        settings.EXOTEL_RECORDING_HOSTS = [f"localhost:{port}"]
        call = _download(pending_call(f"http://localhost:{port}/steal.mp3"))
        assert listener.requests == []
        assert call.recording_status == RecordingStatus.FAILED

    def test_a_refused_url_fails_once_without_retrying(self, listener, pending_call, resolve_to):
        lookups = resolve_to("10.0.0.7")
        call = _download(pending_call(EXOTEL_URL))
        assert call.recording_status == RecordingStatus.FAILED
        assert lookups == ["recordings.exotel.com"]  # one attempt, no retry
        assert listener.requests == []


class TestRecordingUrlCheck:
    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example.com/exotelrecordings/a.mp3",
            "https://recordings.exotel.com.evil.example/a.mp3",
            "https://s3-ap-southeast-1.amazonaws.com/someone-elses-bucket/a.mp3",
            "http://recordings.exotel.com/a.mp3",
            "https://recordings.exotel.com:8443/a.mp3",
            "ftp://recordings.exotel.com/a.mp3",
            "file:///etc/passwd",
            "https://169.254.169.254/latest/meta-data/",
            "https://user:pw@recordings.exotel.com/a.mp3",
        ],
    )
    def test_only_https_on_exotel_s_hosts(self, url, resolve_to):
        lookups = resolve_to("13.250.0.10")
        with pytest.raises(RecordingDownloadError) as error:
            recording_url_check(url)
        assert not error.value.transient
        assert lookups == []  # refused before any DNS look-up

    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ],
    )
    def test_private_loopback_and_link_local_addresses_are_refused_after_dns(
        self, address, resolve_to
    ):
        resolve_to(address)
        with pytest.raises(RecordingDownloadError) as error:
            recording_url_check(EXOTEL_URL)
        assert not error.value.transient
        assert "private, loopback or link-local" in str(error.value)

    def test_one_private_answer_among_public_ones_is_refused(self, resolve_to):
        resolve_to("13.250.0.10", "10.0.0.1")
        with pytest.raises(RecordingDownloadError):
            recording_url_check(EXOTEL_URL)

    def test_exotel_s_hosts_on_public_addresses_pass(self, resolve_to):
        resolve_to("13.250.0.10")
        target = recording_url_check(EXOTEL_URL)
        assert target.address == "13.250.0.10" and target.send_credentials
        s3 = recording_url_check(
            "https://s3-ap-southeast-1.amazonaws.com/exotelrecordings/acme/sid.mp3"
        )
        assert not s3.send_credentials  # Exotel's bucket: downloaded, but no Exotel credentials

    def test_dns_failure_is_transient(self, monkeypatch):
        def fail(*args, **kwargs):
            raise socket.gaierror("no such host")

        monkeypatch.setattr(socket, "getaddrinfo", fail)
        with pytest.raises(RecordingDownloadError) as error:
            recording_url_check(EXOTEL_URL)
        assert error.value.transient


class TestRedirects:
    def test_a_redirect_to_a_listener_is_not_followed(
        self, recording_server, listener, pending_call
    ):
        recording_server.responses.append(
            (302, b"", "text/plain", {"Location": f"{listener.url}/steal.mp3"})
        )
        call = _download(pending_call(f"{recording_server.url}/rec/sid.mp3"))
        assert len(recording_server.requests) == 1
        assert listener.requests == []
        assert call.recording_status == RecordingStatus.FAILED

    def test_a_redirect_to_a_private_address_is_not_followed(self, recording_server, pending_call):
        recording_server.responses.append(
            (307, b"", "text/plain", {"Location": "http://10.0.0.5/latest/meta-data/"})
        )
        call = _download(pending_call(f"{recording_server.url}/rec/sid.mp3"))
        assert call.recording_status == RecordingStatus.FAILED
        assert "refused" in call.recording_error

    def test_an_allowed_redirect_is_followed_and_checked(self, recording_server, pending_call):
        recording_server.responses += [
            (302, b"", "text/plain", {"Location": "/rec/real.wav"}),
            (200, wav_bytes(1), "audio/wav"),
        ]
        call = _download(pending_call(f"{recording_server.url}/rec/sid.mp3"))
        assert call.recording_status == RecordingStatus.STORED
        assert [r["path"] for r in recording_server.requests] == ["/rec/sid.mp3", "/rec/real.wav"]

    def test_redirects_are_bounded(self, recording_server, pending_call, settings):
        settings.EXOTEL_DOWNLOAD_MAX_REDIRECTS = 2
        recording_server.responses += [(302, b"", "text/plain", {"Location": "/rec/loop.mp3"})] * 10
        call = _download(pending_call(f"{recording_server.url}/rec/sid.mp3"))
        assert call.recording_status == RecordingStatus.FAILED
        assert len(recording_server.requests) == 3
        assert "redirected too often" in call.recording_error


class TestCredentials:
    def test_credentials_go_only_to_credential_hosts(self, listener, pending_call, settings):
        listener.responses.append((200, wav_bytes(1), "audio/wav"))
        settings.EXOTEL_DOWNLOAD_ALLOW_LOOPBACK = True
        settings.EXOTEL_RECORDING_HOSTS = [listener.netloc]
        settings.EXOTEL_CREDENTIAL_HOSTS = []
        call = _download(pending_call(f"{listener.url}/rec/sid.wav"))
        assert call.recording_status == RecordingStatus.STORED
        assert listener.requests[0]["auth"] is None

    def test_the_connection_goes_to_the_checked_address(
        self, listener, pending_call, settings, resolve_to
    ):
        # "rebind.test" resolves once, to the listener; the request uses that address and
        # names the host in the Host header (no second look-up could point elsewhere).
        listener.responses.append((200, wav_bytes(1), "audio/wav"))
        port = listener.netloc.rsplit(":", 1)[1]
        settings.EXOTEL_DOWNLOAD_ALLOW_LOOPBACK = True
        settings.EXOTEL_RECORDING_HOSTS = [f"rebind.test:{port}"]
        lookups = resolve_to("127.0.0.1")
        call = _download(pending_call(f"http://rebind.test:{port}/rec/sid.wav"))
        assert call.recording_status == RecordingStatus.STORED
        assert [name for name in lookups if name != "127.0.0.1"] == ["rebind.test"]
        assert listener.requests[0]["host"] == f"rebind.test:{port}"
