"""Webhook endpoints and their deliveries: every write of the webhooks API goes through here.

Each service re-validates its input (STYLE.md §12: the API checks shape, the service the
rules), locks the row it changes and re-checks it after the lock, and writes an audit entry.
Secrets never leave through the audit log: entries name the endpoint by its URL's origin
(a receiver URL may carry a token in its path or query; the audit log is readable by
supervisors, the endpoints only by admins) and a rotation says when the old secret expires.
"""

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from uuid6 import uuid7

from config.errors import ConflictError, NotFoundError
from integrations.models import (
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.services.rules import url_rule
from integrations.webhooks.fanout import ALL_EVENTS, webhook_body
from integrations.webhooks.signing import secret_generate
from tenants import events as event_bus
from tenants.access import Actor
from tenants.models import Tenant
from tenants.models.outbox import FINAL_STATUSES, OutboxStatus
from tenants.outbox import outbox_enqueue_on_commit, outbox_redeliver
from tenants.services.audit import audit_log_record
from tenants.validation import boolean_check, fields_clean, model_rule
from tickets.services.versions import ExpectedVersion, version_check

# The old secret keeps signing (beside the new one) this long after a rotation.
SECRET_ROTATION_GRACE = timedelta(hours=24)
# The synthetic event of POST webhooks/<id>/ping/: never a registered (domain) event, so it
# reaches the one endpoint it is sent to and nothing else.
PING_EVENT = "webhook.ping"
EVENT_TYPE_MAX_LENGTH = 64


class WebhookInactiveError(ConflictError):
    code = "webhook_inactive"
    message = "This endpoint is switched off or disabled; activate it first."


class DeliveryNotFinishedError(ConflictError):
    code = "delivery_not_finished"
    message = "This delivery is still pending or being sent; it can be sent again once finished."


def event_type_names() -> frozenset[str]:
    """The tenant event types an endpoint may subscribe to (the registry's, as listed by
    GET event-types/)."""
    return frozenset(described["type"] for described in event_bus.event_types())


def event_types_rule(field: str, value: Any) -> list[str]:
    """A non-empty list of registered tenant event type names, or ["*"] for all of them.
    Duplicates are dropped; unknown names are refused, by name."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError({field: "Must be a list of event type names."})
    if not value:
        raise ValidationError({field: 'Name at least one event type, or ["*"] for all.'})
    chosen = list(dict.fromkeys(value))
    if ALL_EVENTS in chosen:
        if len(chosen) > 1:
            raise ValidationError({field: '"*" (every event) stands alone.'})
        return chosen
    unknown = [name for name in chosen if name not in event_type_names()]
    if unknown:
        shown = ", ".join(repr(name[:EVENT_TYPE_MAX_LENGTH]) for name in unknown[:20])
        raise ValidationError(
            {field: f"Unknown event types: {shown} (GET event-types/ lists them)."}
        )
    return chosen


ENDPOINT_RULES = {
    "url": url_rule,
    "events": event_types_rule,
    "description": model_rule(WebhookEndpoint, "description"),
    "active": boolean_check,
    "include_internal": boolean_check,
}


# --- Reads ------------------------------------------------------------------------------------


def webhook_endpoint_get_for_update(*, tenant: Tenant, endpoint_id: int) -> WebhookEndpoint:
    """Lock the endpoint (it is read again after the lock). Raises NotFoundError when gone."""
    endpoint = (
        WebhookEndpoint.objects.select_for_update().filter(tenant=tenant, pk=endpoint_id).first()
    )
    if endpoint is None:
        raise NotFoundError()
    return endpoint


def _origin(url: str) -> str:
    # What the audit log may say about a receiver: where, never the path or query (a token).
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _audited(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": _origin(endpoint.url),
        "events": list(endpoint.events),
        "description": endpoint.description,
        "active": endpoint.active,
        "include_internal": endpoint.include_internal,
    }


def _audit(
    tenant: Tenant,
    actor: Actor,
    action: str,
    endpoint: WebhookEndpoint,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action=action,
        target_type="webhook",
        target_id=str(endpoint.public_id),
        target_label=_origin(endpoint.url),
        before=before,
        after=after,
    )


# --- Endpoints --------------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_create(
    *,
    tenant: Tenant,
    actor: Actor,
    url: Any,
    events: Any,
    description: Any = "",
    active: Any = True,
    include_internal: Any = False,
) -> WebhookEndpoint:
    """Add a receiver of the tenant's events with a new signing secret (on the returned
    instance: the caller shows it once; it is stored encrypted). Audited without the secret.
    Raises ValidationError."""
    cleaned = fields_clean(
        {
            "url": url,
            "events": events,
            "description": description,
            "active": active,
            "include_internal": include_internal,
        },
        ENDPOINT_RULES,
    )
    endpoint = WebhookEndpoint(tenant=tenant, secret=secret_generate(), **cleaned)
    endpoint.save()
    _audit(tenant, actor, "webhook.created", endpoint, after=_audited(endpoint))
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    tenant: Tenant,
    actor: Actor,
    endpoint: WebhookEndpoint,
    expected_version: ExpectedVersion = None,
    **changes: Any,
) -> WebhookEndpoint:
    """Change an endpoint's url (checked again), event types, description, active or
    include_internal. Activating it again clears why and since when it was disabled and its
    failure streak. Raises ValidationError, NotFoundError, PreconditionFailedError."""
    cleaned = fields_clean(changes, ENDPOINT_RULES)
    locked = webhook_endpoint_get_for_update(tenant=tenant, endpoint_id=endpoint.pk)
    version_check(locked, expected_version)
    before = _audited(locked)
    changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, cleaned[name])
    fields = list(changed)
    if "active" in changed and locked.active:
        locked.disabled_reason, locked.disabled_at, locked.failing_since = (
            DisabledReason.NONE,
            None,
            None,
        )
        fields += ["disabled_reason", "disabled_at", "failing_since"]
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    audited = _audited(locked)
    after = {name: audited[name] for name in changed}
    if "url" in changed:
        after["url_changed"] = True  # a new path on the same origin would read as no change
    _audit(
        tenant,
        actor,
        "webhook.updated",
        locked,
        before={name: before[name] for name in changed},
        after=after,
    )
    return locked


@transaction.atomic
def webhook_endpoint_delete(
    *,
    tenant: Tenant,
    actor: Actor,
    endpoint: WebhookEndpoint,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete an endpoint with its deliveries (pending ones are never sent) and their
    attempts. Raises NotFoundError, PreconditionFailedError."""
    locked = webhook_endpoint_get_for_update(tenant=tenant, endpoint_id=endpoint.pk)
    version_check(locked, expected_version)
    _audit(tenant, actor, "webhook.deleted", locked, before=_audited(locked))
    locked.delete()


@transaction.atomic
def webhook_secret_rotate(
    *, tenant: Tenant, actor: Actor, endpoint: WebhookEndpoint
) -> WebhookEndpoint:
    """Give the endpoint a new signing secret (on the returned instance, shown once); the
    current one keeps signing beside it for SECRET_ROTATION_GRACE, so receivers can switch
    without losing a message. A rotation during another's grace period ends that one: only
    the secret just replaced stays valid. Audited without either secret. Raises
    NotFoundError."""
    locked = webhook_endpoint_get_for_update(tenant=tenant, endpoint_id=endpoint.pk)
    expires = timezone.now() + SECRET_ROTATION_GRACE
    locked.previous_secret, locked.previous_secret_expires_at = locked.secret, expires
    locked.secret = secret_generate()
    locked.version += 1
    locked.save(
        update_fields=[
            "secret",
            "previous_secret",
            "previous_secret_expires_at",
            "version",
            "updated_at",
        ]
    )
    _audit(
        tenant,
        actor,
        "webhook.secret_rotated",
        locked,
        after={"previous_secret_expires_at": expires.isoformat()},
    )
    return locked


def _ping_body(*, tenant: Tenant, actor: Actor, endpoint: WebhookEndpoint, event_id: str) -> str:
    # The shape of every webhook body (fanout.webhook_body), for an event nobody publishes.
    envelope = event_bus.Envelope(
        id=event_id,
        type=PING_EVENT,
        tenant_id=tenant.pk,
        tenant=tenant.slug,
        occurred_at=timezone.now(),
        actor=event_bus.actor_ref(actor),
        visibility=event_bus.PUBLIC,
        version=1,
        data={"endpoint": str(endpoint.public_id)},
        event=None,
    )
    return webhook_body(envelope)


@transaction.atomic
def webhook_ping(*, tenant: Tenant, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send the endpoint a `webhook.ping` (data: {"endpoint": its id}), signed and delivered
    through the outbox like any event, to this endpoint only. Raises NotFoundError,
    WebhookInactiveError (a delivery to a switched-off endpoint is never sent)."""
    locked = webhook_endpoint_get_for_update(tenant=tenant, endpoint_id=endpoint.pk)
    if not locked.active:
        raise WebhookInactiveError()
    event_id = str(uuid7())
    delivery = WebhookDelivery(
        tenant=tenant,
        endpoint=locked,
        event_id=event_id,
        event_type=PING_EVENT,
        body=_ping_body(tenant=tenant, actor=actor, endpoint=locked, event_id=event_id),
    )
    delivery.save()
    outbox_enqueue_on_commit(delivery)
    return delivery


# --- Deliveries -------------------------------------------------------------------------------


@transaction.atomic
def webhook_delivery_redeliver(
    *, tenant: Tenant, actor: Actor, delivery: WebhookDelivery
) -> WebhookDelivery:
    """Send a finished delivery (sent, failed, dead or suppressed) again: a fresh series of
    attempts with the same body and webhook-id (receivers dedupe on it). Audited. Raises
    NotFoundError, DeliveryNotFinishedError (pending or being sent)."""
    locked = (
        WebhookDelivery.objects.select_for_update().filter(tenant=tenant, pk=delivery.pk).first()
    )
    if locked is None:  # purged, or its endpoint deleted, meanwhile
        raise NotFoundError()
    if locked.status not in FINAL_STATUSES:
        raise DeliveryNotFinishedError()
    previous = locked.status
    outbox_redeliver(locked)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="webhook_delivery.redelivered",
        target_type="webhook_delivery",
        target_id=str(locked.public_id),
        target_label=locked.event_type,
        before={"status": previous},
        after={"status": OutboxStatus.PENDING},
    )
    locked.refresh_from_db()
    return locked
