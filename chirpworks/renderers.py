"""The project's JSON renderer: DRF's output, written by ``orjson``.

``orjson`` writes the same JSON as DRF's renderer (compact, UTF-8, ISO datetimes with their
offset and ``Z`` for UTC, UUIDs as strings) about ten times faster, and writes an
``orjson.Fragment`` (stored JSON passed through, see ``chirpworks.fastrows``) as it is. Anything
it cannot encode (an integer beyond 64 bits, a type only DRF's encoder knows) is handed to DRF's
renderer unchanged; an indented response is the compact one re-indented by DRF.
"""

import json

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_DRF_DEFAULT = JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        try:
            content = orjson.dumps(data, default=_DRF_DEFAULT, option=_ORJSON_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            # No fragments reach here: they are only in the fast rows, which hold no such value.
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(json.loads(content), accepted_media_type, renderer_context)
        return content
