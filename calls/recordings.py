"""Fetching Exotel recordings and measuring them: the seam between ChirpWorks and Exotel's API.

The fetcher is chosen by ``settings.EXOTEL_RECORDING_FETCHER``. The default downloads over HTTP
with the Exotel API key and token as HTTP basic auth: the credentials go in a header, never in a
URL, and never into a log line or an exception message.

A ``RecordingUrl`` comes from a webhook anyone holding an agency's key can call, so the fetcher
trusts none of it (``recording_url_check``): only https URLs on ``EXOTEL_RECORDING_HOSTS`` are
fetched at all, only ``EXOTEL_CREDENTIAL_HOSTS`` get the credentials, the host must resolve to
public addresses only (no private, loopback, link-local or reserved one) and the connection goes
to the address that was checked (no second DNS answer). Redirects are followed by hand, each hop
checked the same way, at most ``EXOTEL_DOWNLOAD_MAX_REDIRECTS``.
"""

import ipaddress
import logging
import socket
import tempfile
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

import av
import requests
from django.conf import settings
from django.utils.module_loading import import_string
from requests.adapters import HTTPAdapter

from chirpworks.retrying import TransientError

logger = logging.getLogger(__name__)

# Exotel answers 404 for a while before a fresh recording is ready; 5xx and 429 are passing too.
TRANSIENT_STATUSES = {404, 408, 425, 429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
DEFAULT_PORTS = {"https": 443, "http": 80}
CHUNK_BYTES = 64 * 1024
SPOOL_BYTES = 8 * 1024 * 1024


class RecordingDownloadError(Exception):
    """The download failed for good: retrying cannot help (``RecordingUnavailable`` may pass).

    The type says which: ``transient`` mirrors it for readers, and saying ``transient=True``
    here instead of raising ``RecordingUnavailable`` is refused, so the task cannot misread it.
    """

    transient = False

    def __init__(self, message: str, *, transient: bool = False) -> None:
        if transient != type(self).transient:
            raise TypeError("a download failure worth retrying is a RecordingUnavailable")
        super().__init__(message)


class RecordingUnavailable(RecordingDownloadError, TransientError):
    """The download failed for now (network, DNS, a passing HTTP status, an empty body): the
    task retries it with backoff."""

    transient = True

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


class RecordingFetcher(Protocol):
    def fetch(self, url: str) -> tuple[IO[bytes], str]:
        """The recording at ``url`` as a rewound binary file, and its file extension."""


def url_without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` removed, safe to store and to log."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _extension(url: str, content_type: str) -> str:
    content_type = content_type.split(";")[0].strip().lower()
    if content_type in ("audio/wav", "audio/x-wav", "audio/wave"):
        return "wav"
    if content_type in ("audio/mpeg", "audio/mp3"):
        return "mp3"
    suffix = urlsplit(url).path.rsplit(".", 1)[-1].lower()
    return suffix if suffix in ("mp3", "wav") else "mp3"


@dataclass(frozen=True)
class RecordingTarget:
    """A checked recording URL: where to connect (``address``) and whether to send credentials."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    send_credentials: bool


def _host_entry(entry: str) -> tuple[str, int | None, str]:
    """``host[:port][/path-prefix]`` of a host setting, as (host, port or None, path prefix)."""
    netloc, slash, path = entry.strip().partition("/")
    host, _, port = netloc.lower().rpartition(":") if ":" in netloc else (netloc.lower(), "", "")
    return host, int(port) if port else None, slash + path if slash else ""


def _listed(entries: list[str], *, host: str, port: int, path: str, default_port: int) -> bool:
    for entry in entries:
        entry_host, entry_port, prefix = _host_entry(entry)
        same_host = entry_host == host and (entry_port or default_port) == port
        if same_host and (not prefix or path.startswith(prefix)):
            return True
    return False


def _refuse(reason: str) -> RecordingDownloadError:
    return RecordingDownloadError(f"Recording URL refused: {reason}", transient=False)


def _address_allowed(address: str, *, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def recording_url_check(url: str) -> RecordingTarget:
    """``url`` if ChirpWorks may fetch it, resolved to the address to connect to; else raises.

    A refusal is permanent (``transient=False``): the same URL will never be allowed. A DNS
    failure is transient.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        raise _refuse("bad port") from None
    allow_loopback = settings.EXOTEL_DOWNLOAD_ALLOW_LOOPBACK
    if scheme not in DEFAULT_PORTS or not host:
        raise _refuse("not an http(s) URL")
    if scheme != "https" and not allow_loopback:
        raise _refuse("not https")
    if parts.username is not None or parts.password is not None:
        raise _refuse("credentials in the URL")
    listed = {"host": host, "port": port, "path": parts.path, "default_port": DEFAULT_PORTS[scheme]}
    if not _listed(settings.EXOTEL_RECORDING_HOSTS, **listed):
        raise _refuse("host is not one of EXOTEL_RECORDING_HOSTS")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RecordingUnavailable("Recording host did not resolve") from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(
        _address_allowed(a, allow_loopback=allow_loopback) for a in addresses
    ):
        raise _refuse("host resolves to a private, loopback or link-local address")
    loopback = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
    if scheme != "https" and not (allow_loopback and loopback):
        raise _refuse("not https")
    return RecordingTarget(
        url=url,
        scheme=scheme,
        host=host,
        port=port,
        address=addresses[0],
        send_credentials=_listed(settings.EXOTEL_CREDENTIAL_HOSTS, **listed),
    )


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked address while TLS checks the certificate for the URL's host."""

    def __init__(self, host: str) -> None:
        self._host = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["server_hostname"] = self._host
        kwargs["assert_hostname"] = self._host
        super().init_poolmanager(*args, **kwargs)


def _pinned_get(target: RecordingTarget, *, auth, timeout: float) -> requests.Response:
    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    pinned = urlunsplit(
        (target.scheme, f"{address}:{target.port}", parts.path or "/", parts.query, "")
    )
    host_header = target.host
    if target.port != DEFAULT_PORTS[target.scheme]:
        host_header = f"{target.host}:{target.port}"
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment sees the request or credentials
    session.mount(f"{target.scheme}://", _PinnedAdapter(target.host))
    try:
        return session.get(
            pinned,
            auth=auth if target.send_credentials else None,
            headers={"Host": host_header},
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
    finally:
        session.close()


class HttpRecordingFetcher:
    def __init__(self, auth: tuple[str, str] | None = None) -> None:
        # ``auth``: the agency's credentials (``calls.exotel.exotel_credentials_for``).
        self.auth = auth
        if auth is None and (settings.EXOTEL_API_KEY or settings.EXOTEL_API_TOKEN):
            self.auth = (settings.EXOTEL_API_KEY, settings.EXOTEL_API_TOKEN)
        self.timeout = settings.EXOTEL_DOWNLOAD_TIMEOUT_SECONDS
        self.max_bytes = settings.EXOTEL_RECORDING_MAX_BYTES
        self.max_redirects = settings.EXOTEL_DOWNLOAD_MAX_REDIRECTS

    def _response(self, url: str) -> tuple[requests.Response, str]:
        """The final (non-redirect) response for ``url``, every hop checked before it is sent."""
        for _ in range(self.max_redirects + 1):
            target = recording_url_check(url)
            try:
                response = _pinned_get(target, auth=self.auth, timeout=self.timeout)
            except requests.RequestException as exc:
                raise RecordingUnavailable(
                    f"Recording download failed: {type(exc).__name__}"
                ) from None
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response, url
            response.close()
            url = url_without_credentials(urljoin(url, location))
        raise RecordingDownloadError("Recording download redirected too often", transient=False)

    def fetch(self, url: str) -> tuple[IO[bytes], str]:
        url = url_without_credentials(url)
        response, url = self._response(url)
        with response:
            if response.status_code != 200:
                passing = response.status_code in TRANSIENT_STATUSES
                raise (RecordingUnavailable if passing else RecordingDownloadError)(
                    f"Recording download answered HTTP {response.status_code}"
                )
            file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
            size = 0
            try:
                for chunk in response.iter_content(CHUNK_BYTES):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise RecordingDownloadError(
                            "Recording is larger than EXOTEL_RECORDING_MAX_BYTES", transient=False
                        )
                    file.write(chunk)
            except requests.RequestException as exc:
                file.close()
                raise RecordingUnavailable(
                    f"Recording download broke off: {type(exc).__name__}"
                ) from None
            except RecordingDownloadError:
                file.close()
                raise
            if size == 0:
                file.close()
                raise RecordingUnavailable("Recording download was empty")
            file.seek(0)
            return file, _extension(url, response.headers.get("Content-Type", ""))


def recording_fetcher(*, auth: tuple[str, str] | None = None) -> RecordingFetcher:
    return import_string(settings.EXOTEL_RECORDING_FETCHER)(auth=auth)


# PyAV's container format names -> the extension the recording is stored with.
STORED_EXTENSIONS = {"mp3": "mp3", "wav": "wav", "ogg": "ogg", "mov,mp4,m4a,3gp,3g2,mj2": "m4a"}


@dataclass(frozen=True)
class AudioProbe:
    duration: float  # seconds, from the decoded samples
    extension: str  # from the detected container format, not the URL or the Content-Type


def audio_probe(file: IO[bytes]) -> AudioProbe | None:
    """Decode ``file`` with PyAV (FFmpeg) to learn its format and length; None if it is not
    decodable audio. Decoding, not a header check: telephone MP3s (8 kHz MPEG-2.5, no ID3 tag)
    are audio that header sniffers reject."""
    file.seek(0)
    try:
        with av.open(file, mode="r") as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            samples = 0
            rate = stream.codec_context.sample_rate or 0
            for frame in container.decode(stream):
                samples += frame.samples
                rate = frame.sample_rate or rate
            format_name = container.format.name
    except (av.FFmpegError, ValueError, OSError):
        return None
    finally:
        file.seek(0)
    if not samples or not rate:
        return None
    extension = STORED_EXTENSIONS.get(format_name, format_name.split(",")[0][:8] or "audio")
    return AudioProbe(duration=round(samples / rate, 3), extension=extension)


def audio_duration_seconds(file: IO[bytes]) -> float | None:
    """Length of a recording in seconds, by decoding it; None if it is not readable audio."""
    probe = audio_probe(file)
    return probe.duration if probe else None
