"""Links from a tenant's root to its collections, read off the URL configuration so a new app's
collection shows up without being listed twice."""

from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver, reverse

TENANT_KWARG = "tenant_slug"


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


@cache
def tenant_collections() -> tuple[tuple[str, str], ...]:
    """(key, url name) of every collection directly under the tenant mount point, such as
    ("tickets", "ticket-list"): list routes whose only parameter is the tenant."""
    found = {}
    mount = f"<slug:{TENANT_KWARG}>/"
    for pattern, entry in _walk(get_resolver().url_patterns):
        if not (entry.name or "").endswith("-list") or mount not in pattern:
            continue
        rest = pattern.split(mount, 1)[1].replace("^", "").replace("$", "")  # router regexes
        if "<" in rest or "(" in rest or not rest.endswith("/"):
            continue  # nested under an object, or a format-suffix variant
        found[rest.rstrip("/")] = entry.name
    return tuple(sorted(found.items()))


def tenant_links(*, slug: str, request=None) -> dict[str, str]:
    """Absolute (with a request) URLs of the tenant's collections, by collection name."""
    links = {}
    for key, name in tenant_collections():
        path = reverse(name, kwargs={TENANT_KWARG: slug})
        links[key] = request.build_absolute_uri(path) if request is not None else path
    return links


def tenant_url(*, slug: str, request=None) -> str:
    """The tenant's root URL."""
    path = reverse("tenant-detail", kwargs={TENANT_KWARG: slug})
    return request.build_absolute_uri(path) if request is not None else path
