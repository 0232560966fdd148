"""Request parsers."""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what no layer below can hold.

    - Absurdly nested documents: a 400, not a RecursionError.
    - Lone UTF-16 surrogates (`"\\ud800"` without its pair, in a key or a value): JSON allows
      the escape, but such a string is not Unicode text — it cannot be encoded as UTF-8, so it
      would crash the renderer echoing it, jsonb, the database driver and every hash on the
      way. Rejected once, here, for every endpoint.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        try:
            # C-speed walk over every key and value; only lone surrogates fail to encode.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseError(
                "JSON parse error - a string holds an unpaired UTF-16 surrogate escape "
                "(such as \\ud800), which is not a Unicode character."
            ) from exc
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        return data
