"""Entity tags of versioned resources: `ETag: "<version>"` on answers, `If-Match` on writes
(412 when stale). Every app's detail routes use these, so all read If-Match alike."""

import re

from rest_framework.response import Response

# One entity tag as etag() writes it; W/ is tolerated (proxies that compress weaken tags).
_ENTITY_TAG_RE = re.compile(r'(?:W/)?"?([0-9]{1,18})"?')


def etag(obj) -> str:
    """The entity tag of an object with a `version`."""
    return f'"{obj.version}"'


def with_etag(response: Response, obj) -> Response:
    """`response` with the object's ETag header."""
    response["ETag"] = etag(obj)
    return response


def expected_version(request) -> frozenset[int] | None:
    """The versions an If-Match header names (RFC 9110 §13.1.1: a list matches when any of
    its tags is current): None without one or for `*` (any current version); a set that
    never matches when no listed tag is one of ours."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tags = (_ENTITY_TAG_RE.fullmatch(tag.strip()) for tag in header.split(","))
    return frozenset(int(match.group(1)) for match in tags if match) or frozenset({-1})
