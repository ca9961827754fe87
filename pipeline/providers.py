"""Loading the providers that settings name by dotted path (``ANALYSIS_PROVIDER``,
``TRANSCRIPTION_PROVIDER``)."""

from typing import Any

from django.utils.module_loading import import_string

# The pipeline lived in the meetings app; a path an environment still sets the old way works.
MOVED_PREFIXES = {
    "meetings.analysis.": "pipeline.analysis.",
    "meetings.transcription.": "pipeline.transcription.",
}


def provider_path(path: str) -> str:
    """``path`` with a pre-``pipeline`` module prefix mapped to where the module lives now."""
    for old, new in MOVED_PREFIXES.items():
        if path.startswith(old):
            return new + path[len(old) :]
    return path


def provider_load(path: str) -> Any:
    """A new instance of the class at ``path``."""
    return import_string(provider_path(path))()
