"""Plumbing middleware: request ids + access log, and body-size limits."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse

from config.logging import request_id_var, request_tenant_id_var, user_id_var

logger = logging.getLogger("tenantdesk.request")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Give every request an id (client's X-Request-ID if sane), log one line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        rid_token = request_id_var.set(request_id)
        uid_token = user_id_var.set(None)
        tid_token = request_tenant_id_var.set(None)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "request.finished",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "tenant": getattr(getattr(request, "tenant", None), "slug", None),
                },
            )
            return response
        finally:
            request_tenant_id_var.reset(tid_token)
            user_id_var.reset(uid_token)
            request_id_var.reset(rid_token)


class BodySizeLimitMiddleware:
    """Answer 413 for bodies over the limit before anything reads them.

    DRF's JSON parser reads the raw stream and never consults DATA_UPLOAD_MAX_MEMORY_SIZE, so the
    declared Content-Length is checked here; multipart uploads get the larger upload cap, raw
    emails (message/rfc822, the inbound endpoint) INBOUND_EMAIL_MAX_BYTES.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                {"detail": "Invalid Content-Length header.", "code": "invalid"}, status=400
            )
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            limit = settings.API_MAX_UPLOAD_BYTES
        elif content_type.lower().startswith("message/rfc822"):  # a raw email (inbound endpoint)
            limit = settings.INBOUND_EMAIL_MAX_BYTES
        else:
            limit = settings.API_MAX_BODY_BYTES
        if length > limit:
            return JsonResponse(
                {
                    "detail": f"Request body too large (limit {limit} bytes).",
                    "code": "request_too_large",
                },
                status=413,
            )
        return self.get_response(request)
