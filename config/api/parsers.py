"""Request parsers."""

import json

from django.conf import settings
from rest_framework import exceptions, parsers
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


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body too large."
    default_code = "request_too_large"


class RawEmailParser(parsers.BaseParser):
    """A raw email (`message/rfc822`: RFC 5322 bytes, headers and body as received), handed to
    the view as bytes, unparsed. At most INBOUND_EMAIL_MAX_BYTES (413 above it, whether or not
    the request declared its length)."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = settings.INBOUND_EMAIL_MAX_BYTES
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise RequestTooLarge(f"Request body too large (limit {limit} bytes).")
        return data
