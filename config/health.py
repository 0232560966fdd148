"""Probes and the JSON fallbacks for unmatched URLs and crashes."""

import logging

import redis
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.decorators.http import require_GET

logger = logging.getLogger("tenantdesk.health")


@require_GET
def healthz(request):
    """The process is up (no dependencies checked)."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _check_migrations() -> str:
    connection = connections["default"]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} unapplied migration(s)")
    return "ok"


CHECKS = {"database": _check_database, "redis": _check_redis, "migrations": _check_migrations}


@require_GET
def readyz(request):
    """Ready to serve: database reachable, Redis reachable, no unapplied migrations (else 503)."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:
            # Details (hosts, roles) go to the log, not to an unauthenticated caller.
            logger.warning("readyz.check_failed", extra={"check": name, "error": str(exc)})
            results[name] = "error"
    ok = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": results}, status=200 if ok else 503
    )


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def bad_request(request, exception=None):
    # Django-level rejections (too many form fields, an oversized form body, a bad host).
    return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "Permission denied.", "code": "permission_denied"}, status=403)


def csrf_failure(request, reason=""):
    # API clients read JSON; people at the admin or a login form get Django's page.
    if not request.path.startswith("/api/"):
        return html_csrf_failure(request, reason=reason)
    return JsonResponse({"detail": "CSRF verification failed.", "code": "csrf_failed"}, status=403)


def server_error(request):
    return JsonResponse({"detail": "Internal server error.", "code": "server_error"}, status=500)
