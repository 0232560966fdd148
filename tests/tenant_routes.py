"""Enumerate every tenant route (/api/v1/t/<tenant_slug>/…) and the methods it serves.

The permission and isolation matrices compare the per-app route lists (tests/<app>/routes.py,
collected in tests/routes.py) against this, so a new tenant route without rows fails the suite.
"""

from django.urls import URLPattern, URLResolver, get_resolver

TENANT_MOUNT = "<slug:tenant_slug>"
_IGNORED_METHODS = {"options", "head", "trace"}
# Every route answers these two (HEAD with 405 where it has no GET); the matrices list them too.
DESCRIBE_METHODS = {"HEAD", "OPTIONS"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF ViewSet route
        return {method.upper() for method in actions if method not in _IGNORED_METHODS}
    view_class = callback.view_class
    return {
        method.upper()
        for method in view_class.http_method_names
        if method not in _IGNORED_METHODS and hasattr(view_class, method)
    }


def tenant_routes() -> set[tuple[str, str]]:
    """Return {(url name, HTTP method)} for every route under the tenant mount point,
    HEAD and OPTIONS included."""
    return set(tenant_routes_by_app())


def tenant_routes_by_app() -> dict[tuple[str, str], str]:
    """Return {(url name, HTTP method): app label} for every route under the tenant mount
    point, HEAD and OPTIONS included; the app is the package that holds the route's view."""
    routes = {}
    for pattern, entry in _walk(get_resolver().url_patterns):
        if TENANT_MOUNT not in pattern or "format" in pattern:
            continue
        app = entry.callback.__module__.split(".")[0]
        for method in _methods(entry.callback) | DESCRIBE_METHODS:
            routes[(entry.name, method)] = app
    return routes
