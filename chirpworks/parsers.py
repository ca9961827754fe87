"""The API's request parsers: DRF's, refusing what would only fail later as a 500.

PostgreSQL cannot store ``\\u0000`` in text or jsonb, and a lone surrogate (``"\\ud800"``, valid
JSON) cannot even be encoded to UTF-8 for the driver: both are refused at the door with a 400
naming the field, before any service sees them. Multipart bodies carry form fields only; no
endpoint takes a file, so a file part is a 400 rather than a temporary file nobody reads.
"""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def unstorable_text(value: str) -> bool:
    """True for text PostgreSQL refuses: a NUL character, or a lone UTF-16 surrogate."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_unstorable(data: Any, path: str = "") -> str | None:
    """The path (``items[3].name``) of the first unstorable string in parsed data, else None."""
    if isinstance(data, str):
        return path or "body" if unstorable_text(data) else None
    if isinstance(data, dict) or hasattr(data, "lists"):
        items = data.lists() if hasattr(data, "lists") else data.items()
        for key, value in items:
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and unstorable_text(key):
                return path or "a key"
            found = _first_unstorable(value, name)
            if found:
                return found
        return None
    if isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found = _first_unstorable(value, f"{path}[{index}]")
            if found:
                return found
    return None


def reject_unstorable(data: Any) -> Any:
    """``data`` unchanged, or a 400 naming the first value with a NUL or a lone surrogate."""
    found = _first_unstorable(data)
    if found:
        raise ParseError(
            f"{found}: text may not contain NUL characters (\\u0000) or unpaired surrogates"
        )
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # "[[[[…" nested past the decoder's stack
            raise ParseError("JSON parse error - nested too deeply") from None
        return reject_unstorable(data)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return reject_unstorable(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        if result.files:
            for upload in result.files.values():
                upload.close()
            raise ParseError("File parts are not accepted; send form fields only")
        reject_unstorable(result.data)
        return result
