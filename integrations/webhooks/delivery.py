"""Sending one webhook delivery (an outbox row; tenants.outbox claims, retries and records it).

Each attempt signs the stored body afresh (a new `webhook-timestamp`, the same `webhook-id`)
with every secret in use, posts it through the SSRF-guarded client (integrations.http: the
address checked at connect time, no redirects, capped time and sizes) and logs the attempt.
2xx is success; 410 Gone disables the endpoint; a refused destination fails the delivery for
good; any other answer or no answer is retried on the Standard Webhooks schedule, honouring
Retry-After. An endpoint that keeps failing for WEBHOOK_DISABLE_AFTER_DAYS is disabled.
"""

import time
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.http import DeliveryFailed, DestinationRefused, HttpResult, safe_request
from integrations.models import DisabledReason, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.webhooks.signing import signed_headers
from tenants import events
from tenants.access import SYSTEM
from tenants.context import tenant_context
from tenants.domain_events import WebhookEndpointDisabled
from tenants.models import Tenant
from tenants.outbox import PermanentError, Skip, TransientError

RESPONSE_LOG_CAP = 2000  # characters of a response body kept in the attempt log
SUCCESS_STAMP_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Prepared:
    endpoint_id: int
    url: str
    secrets: list[str]


def webhook_delivery_prepare(row: WebhookDelivery) -> Prepared:
    """The endpoint's URL and the secrets in use (the previous one until it expires); a
    delivery to an endpoint switched off or disabled meanwhile is suppressed."""
    endpoint = WebhookEndpoint.objects.filter(pk=row.endpoint_id).first()
    if endpoint is None or not endpoint.active:
        raise Skip("the endpoint is disabled")
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > timezone.now():
        secrets.append(endpoint.previous_secret)
    return Prepared(endpoint_id=endpoint.pk, url=endpoint.url, secrets=secrets)


def _retry_after(result: HttpResult) -> float | None:
    value = result.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # "²" is a digit to str.isdigit()
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _log(row: WebhookDelivery, *, status: int | None, latency: int, error: str, body: str):
    WebhookAttempt.objects.create(
        tenant_id=row.tenant_id,
        delivery_id=row.pk,
        number=row.attempts,
        status_code=status,
        latency_ms=latency,
        # NUL cannot be stored in PostgreSQL text (a binary response body may carry one).
        error=error.replace("\x00", "")[:500],
        response_body=body.replace("\x00", "\ufffd")[:RESPONSE_LOG_CAP],
    )
    WebhookDelivery.objects.filter(pk=row.pk).update(last_status_code=status)


def _endpoint_outcome(prepared: Prepared, *, ok: bool, gone: bool = False) -> bool:
    """Record success or failure on the endpoint; return True when it was just disabled."""
    now = timezone.now()
    if ok:
        # One statement, and only when something changes (a failure streak ends, or the last
        # success is over a minute old): deliveries to a busy endpoint do not queue on its row.
        WebhookEndpoint.objects.filter(pk=prepared.endpoint_id).filter(
            Q(failing_since__isnull=False)
            | Q(last_success_at__isnull=True)
            | Q(last_success_at__lt=now - SUCCESS_STAMP_EVERY)
        ).update(last_success_at=now, failing_since=None, updated_at=now)
        return False
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=prepared.endpoint_id).first()
    if endpoint is None:
        return False
    endpoint.last_failure_at = now
    endpoint.failing_since = endpoint.failing_since or now
    fields = ["last_failure_at", "failing_since", "updated_at"]
    limit = timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    reason = DisabledReason.GONE if gone else None
    if reason is None and endpoint.failing_since <= now - limit:
        reason = DisabledReason.FAILING
    disabled = reason is not None and endpoint.active
    if disabled:
        endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
        fields += ["active", "disabled_reason", "disabled_at"]
    endpoint.save(update_fields=fields)
    if disabled:
        events.publish(
            WebhookEndpointDisabled(
                endpoint=str(endpoint.public_id),
                host=urlsplit(endpoint.url).hostname or "",
                reason=str(reason),
            ),
            tenant=Tenant.objects.get(pk=endpoint.tenant_id),
            actor=SYSTEM,
        )
    return disabled


def webhook_send(row: WebhookDelivery, prepared: Prepared) -> dict:
    """Post the signed body once; log the attempt; report the outcome to the outbox."""
    body = row.body.encode()
    headers = signed_headers(
        prepared.secrets, msg_id=str(row.event_id), timestamp=int(time.time()), body=body
    )
    started = time.monotonic()
    try:
        result = safe_request("POST", prepared.url, headers=headers, body=body)
    except DestinationRefused as exc:
        with tenant_context(row.tenant_id):
            _log(row, status=None, latency=0, error=f"refused: {exc.reason}", body="")
            _endpoint_outcome(prepared, ok=False)
        raise PermanentError(f"destination refused: {exc.reason}") from exc
    except DeliveryFailed as exc:
        latency = int((time.monotonic() - started) * 1000)
        with tenant_context(row.tenant_id):
            _log(row, status=None, latency=latency, error=exc.reason, body="")
            _endpoint_outcome(prepared, ok=False)
        raise TransientError(exc.reason) from exc

    text = result.body.decode("utf-8", errors="replace")
    with tenant_context(row.tenant_id):
        _log(row, status=result.status, latency=result.elapsed_ms, error="", body=text)
        ok = 200 <= result.status < 300
        gone = result.status == 410
        _endpoint_outcome(prepared, ok=ok, gone=gone)
    if ok:
        return {"last_status_code": result.status}
    if gone:
        raise PermanentError("410 Gone: the endpoint is disabled")
    kind = "a redirect (not followed)" if 300 <= result.status < 400 else "an error"
    raise TransientError(f"HTTP {result.status}: {kind}", retry_after=_retry_after(result))
