"""HTTP caching of public answers (the help center): a strong ETag computed from what the
answer says, Cache-Control, and 304 Not Modified for a matching If-None-Match (RFC 9110
§13.1.2, §8.8.3)."""

import hashlib
import json

from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from rest_framework.response import Response


def content_etag(data, media_type: str) -> str:
    """A strong entity tag of `data` as rendered in `media_type` (a JSON and an HTML answer of
    the same data are different representations, so they get different tags)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{media_type}\n{canonical}".encode("utf-8", "surrogatepass"))
    return f'"{digest.hexdigest()[:32]}"'


def _matches(header: str, tag: str) -> bool:
    # If-None-Match compares weakly: W/"x" matches "x"; `*` matches any current answer.
    if header.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == tag for candidate in header.split(","))


def public_cacheable(request, response: Response, *, max_age: int):
    """Return `response` with an ETag and `Cache-Control: public, max-age=<max_age>`, or a
    304 carrying the same headers when the request's If-None-Match names the ETag.

    Only JSON is cacheable: the browsable API's HTML page of the same data carries a CSRF
    token and may set a cookie, so it is `Cache-Control: no-store`, without an ETag."""
    patch_vary_headers(response, ("Accept",))
    if getattr(request.accepted_renderer, "format", None) != "json":
        response["Cache-Control"] = "no-store"
        return response
    tag = content_etag(response.data, request.accepted_media_type or "")
    if _matches(request.headers.get("If-None-Match", ""), tag):
        response = HttpResponseNotModified()
        patch_vary_headers(response, ("Accept",))
    response["ETag"] = tag
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response
