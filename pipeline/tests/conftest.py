"""The processing-pipeline tests share the meetings tests' fixtures (meetings with real
recordings, a catalogue, the service token)."""

from meetings.tests.conftest import (  # noqa: F401  (fixtures)
    RECORDINGS,
    WORKER_TOKEN,
    _media_root,
    catalogue,
    copy_recording,
    make_job,
    make_meeting,
    worker_token,
)
