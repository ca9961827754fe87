"""Fetching Exotel recordings and measuring them: the seam between ChirpWorks and Exotel's API.

The fetcher is chosen by ``settings.EXOTEL_RECORDING_FETCHER``. The default downloads over HTTP
with the Exotel API key and token as HTTP basic auth: the credentials go in a header, never in a
URL, and never into a log line or an exception message.
"""

import logging
import tempfile
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import urlsplit, urlunsplit

import av
import requests
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Exotel answers 404 for a while before a fresh recording is ready; 5xx and 429 are passing too.
TRANSIENT_STATUSES = {404, 408, 425, 429, 500, 502, 503, 504}
CHUNK_BYTES = 64 * 1024
SPOOL_BYTES = 8 * 1024 * 1024


class RecordingDownloadError(Exception):
    """The download failed; ``transient`` says whether retrying later may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


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


class HttpRecordingFetcher:
    def __init__(self) -> None:
        self.auth = None
        if settings.EXOTEL_API_KEY or settings.EXOTEL_API_TOKEN:
            self.auth = (settings.EXOTEL_API_KEY, settings.EXOTEL_API_TOKEN)
        self.timeout = settings.EXOTEL_DOWNLOAD_TIMEOUT_SECONDS
        self.max_bytes = settings.EXOTEL_RECORDING_MAX_BYTES

    def fetch(self, url: str) -> tuple[IO[bytes], str]:
        url = url_without_credentials(url)
        if urlsplit(url).scheme not in ("http", "https"):
            raise RecordingDownloadError("Recording URL is not http(s)", transient=False)
        # requests drops the Authorization header when a redirect leaves the host.
        try:
            response = requests.get(url, auth=self.auth, timeout=self.timeout, stream=True)
        except requests.RequestException as exc:
            raise RecordingDownloadError(
                f"Recording download failed: {type(exc).__name__}", transient=True
            ) from None
        with response:
            if response.status_code != 200:
                raise RecordingDownloadError(
                    f"Recording download answered HTTP {response.status_code}",
                    transient=response.status_code in TRANSIENT_STATUSES,
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
                raise RecordingDownloadError(
                    f"Recording download broke off: {type(exc).__name__}", transient=True
                ) from None
            except RecordingDownloadError:
                file.close()
                raise
            if size == 0:
                file.close()
                raise RecordingDownloadError("Recording download was empty", transient=True)
            file.seek(0)
            return file, _extension(url, response.headers.get("Content-Type", ""))


def recording_fetcher() -> RecordingFetcher:
    return import_string(settings.EXOTEL_RECORDING_FETCHER)()


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
