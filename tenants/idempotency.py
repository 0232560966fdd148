"""Idempotency-Key on POST (research/reliability.md §2; IETF draft-ietf-httpapi-idempotency-key).

Per (tenant, principal, key):
- the first request runs; if it succeeds (2xx) its status, body and a few headers are stored
  in the same transaction as its effects;
- the same key with the same request replays the stored response (`Idempotent-Replayed: true`);
- the same key with a different request is a 422; while the first is still running, a 409;
- records expire after IDEMPOTENCY_TTL (24 h); an expired key starts afresh.
Failed requests (4xx/5xx) roll back and record nothing, so a corrected retry may reuse the key.

Secrets are never stored: a view lists the response fields that hold one (shown once, such as a
new API key) in `idempotency_redact`; the record keeps them as null, and a replay answers with
null there and `Idempotent-Redacted: <field>, …` naming what the first response alone showed.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.response import Response

from config.errors import ConflictError, DomainError
from tenants.compiled import CompiledInsert
from tenants.context import TenantContextMissing, require_tenant_id
from tenants.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
_STORED_HEADERS = ("ETag", "Location")
REDACTED_HEADER = "Idempotent-Redacted"


class IdempotencyKeyInvalidError(DomainError):
    code = "idempotency_key_invalid"


class IdempotencyKeyReusedError(DomainError):
    status_code = 422
    code = "idempotency_key_reused"


class IdempotencyInProgressError(ConflictError):
    code = "idempotency_in_progress"


class Replay(Exception):
    """Carries a stored response back out of the view's handler path."""

    def __init__(self, response: Response):
        super().__init__("replay")
        self.response = response


@dataclass(frozen=True)
class Pending:
    principal: str
    key: str
    fingerprint: str


def _ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_TTL_HOURS", 24))


def _principal(access) -> str:
    if access.api_key is not None:
        return f"api-key:{access.api_key.public_id}"
    return f"user:{access.membership.user.public_id}"


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/"):
        for name in sorted(request.data.keys()):
            for value in request.data.getlist(name):
                digest.update(f"{name}=".encode())
                if hasattr(value, "chunks"):
                    # The same bytes under another name or type are another request.
                    digest.update(f"{value.name}|{value.content_type}|{value.size}|".encode())
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(str(value).encode())
    else:
        digest.update(request._request.body)
    return digest.hexdigest()


def _lock_id(tenant_id: int, principal: str, key: str) -> int:
    raw = hashlib.sha256(f"{tenant_id}|{principal}|{key}".encode()).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


# Every POST with a key takes its advisory lock and looks for its record, and almost always
# finds none: one call of tenants_idempotency_begin (migration tenants 0009), which takes the
# lock, then reads in a snapshot taken after it. Plain SQL: a tenth of the CPU of the ORM query
# (bench/RESULTS.md). Row-level security scopes the read too.
_BEGIN = (
    "SELECT locked, id, fingerprint, expires_at, response_status, response_body,"
    " response_headers FROM tenants_idempotency_begin(%s, %s, %s, %s)"
)
_RECORD_COLUMNS = (
    "id",
    "fingerprint",
    "expires_at",
    "response_status",
    "response_body",
    "response_headers",
)


def _lock_and_find(tenant_id: int, principal: str, key: str) -> IdempotencyRecord | None:
    """Take the key's transaction-scoped lock (409 if a twin holds it), then read its record."""
    # Fails closed outside the tenant's context, as the tenant manager would.
    if tenant_id != require_tenant_id():
        raise TenantContextMissing("an idempotency record is read in its tenant's context")
    with connection.cursor() as cursor:
        cursor.execute(_BEGIN, [_lock_id(tenant_id, principal, key), tenant_id, principal, key])
        locked, *row = cursor.fetchone()
    if not locked:
        raise IdempotencyInProgressError(
            "A request with this Idempotency-Key is still being processed."
        )
    if row[0] is None:
        return None
    fields = [IdempotencyRecord._meta.get_field(name) for name in _RECORD_COLUMNS]
    values = {
        field.attname: field.from_db_value(value, None, connection)
        if hasattr(field, "from_db_value")
        else value
        for field, value in zip(fields, row, strict=True)
    }
    return IdempotencyRecord(tenant_id=tenant_id, principal=principal, key=key, **values)


def begin(request) -> Pending | None:
    """Start an idempotent POST: None without a key; raises Replay, 409, 422 or 400."""
    raw = request.headers.get(HEADER)
    if raw is None or request.method != "POST":
        return None
    key = raw.strip().strip('"')  # the draft sends a structured-field string: "…"
    if not _KEY_RE.match(key):
        raise IdempotencyKeyInvalidError(
            f"{HEADER} must be 1-255 printable ASCII characters without spaces."
        )
    tenant = request.tenant
    principal = _principal(request.access)
    record = _lock_and_find(tenant.pk, principal, key)
    fingerprint = _fingerprint(request)
    if record is None:
        return Pending(principal=principal, key=key, fingerprint=fingerprint)
    if record.expires_at <= timezone.now():
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return Pending(principal=principal, key=key, fingerprint=fingerprint)
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReusedError(f"This {HEADER} was used with a different request.")
    response = Response(record.response_body, status=record.response_status)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    raise Replay(response)


def redact(body, fields: Sequence[str]) -> tuple[object, list[str]]:
    """Return `body` with each of `fields` (top-level keys) set to None, and the fields that
    held a value."""
    if not fields or not isinstance(body, dict):
        return body, []
    redacted = [field for field in fields if body.get(field) is not None]
    return {**body, **{field: None for field in fields if field in body}}, redacted


def finish(request, pending: Pending, response, *, redact_fields: Sequence[str] = ()) -> None:
    """Store a successful response under its key (same transaction as its effects), without
    the values of `redact_fields`."""
    if not 200 <= response.status_code < 300:
        return
    body, redacted = redact(getattr(response, "data", None), redact_fields)
    headers = {h: response[h] for h in _STORED_HEADERS if response.has_header(h)}
    if redacted:
        headers[REDACTED_HEADER] = ", ".join(redacted)
    now = timezone.now()
    _RECORD_INSERT.insert(
        IdempotencyRecord(
            tenant=request.tenant,
            principal=pending.principal,
            key=pending.key,
            fingerprint=pending.fingerprint,
            method=request.method,
            path=request.path[:500],
            response_status=response.status_code,
            response_body=body,
            response_headers=headers,
            created_at=now,
            expires_at=now + _ttl(),
        )
    )


_RECORD_INSERT = CompiledInsert(IdempotencyRecord)  # once per keyed POST (tenants.compiled)


def purge_expired() -> int:
    """Delete the current tenant's expired records; return how many."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
