"""Events → webhook deliveries: every tenant event becomes one outbox row per active endpoint
that subscribed to its type, written in the event's own transaction (tenants.events runs this
inside the publisher's transaction and tenant context) and sent after the commit."""

import json

from django.conf import settings
from django.db import connection

from integrations.models import WebhookDelivery
from tenants.context import require_tenant_id
from tenants.events import INTERNAL, Envelope
from tenants.outbox import outbox_enqueue_on_commit

ALL_EVENTS = "*"


def _capped(body: str, envelope: Envelope) -> str:
    """The body, or a thin one (ids only) when it exceeds the payload cap."""
    if len(body.encode()) <= settings.OUTBOUND_MAX_BODY_BYTES:
        return body
    thin = {key: value for key, value in envelope.data.items() if key in _THIN_KEYS}
    return json.dumps(
        {
            "type": envelope.type,
            "timestamp": envelope.as_dict()["occurred_at"],
            "data": {**thin, "truncated": True, "event": {"id": envelope.id}},
        },
        separators=(",", ":"),
        sort_keys=True,
    )


_THIN_KEYS = frozenset({"id", "number", "ticket", "comment", "version"})


def webhook_body(envelope: Envelope) -> str:
    """The Standard Webhooks payload `{type, timestamp, data}`, as the exact text that is
    signed and sent (ASCII JSON without spaces). `data` carries the event's payload and the
    envelope's id, tenant, actor and contract version."""
    envelope_fields = envelope.as_dict()
    return json.dumps(
        {
            "type": envelope.type,
            "timestamp": envelope_fields["occurred_at"],
            "data": {
                **envelope.data,
                "event": {
                    "id": envelope.id,
                    "tenant": envelope.tenant,
                    "actor": envelope_fields["actor"],
                    "version": envelope.version,
                },
            },
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def _ticket_number(envelope: Envelope) -> int | None:
    data = envelope.data
    value = data.get("number") if envelope.type.startswith("ticket.") else data.get("ticket")
    return value if isinstance(value, int) else None


# The ids of the tenant's active endpoints that take an event: "*" or its type among their
# events, and an internal event only where include_internal. It runs on every event of every
# write, and most tenants have no endpoint: as plain SQL it costs a tenth of the CPU of the
# same ORM query (about 1 ms a write; bench/RESULTS.md). Row-level security scopes it too.
_ENDPOINTS_TAKING = (
    "SELECT id FROM integrations_webhookendpoint"
    " WHERE tenant_id = %s AND active AND events && %s::varchar[]"
    " AND (include_internal OR NOT %s)"
    " ORDER BY id"
)


def _endpoints_taking(envelope: Envelope) -> list[int]:
    # Fails closed outside a tenant context, as the tenant manager would.
    if envelope.tenant_id != require_tenant_id():
        raise ValueError("A tenant's event is fanned out inside that tenant's context only.")
    with connection.cursor() as cursor:
        cursor.execute(
            _ENDPOINTS_TAKING,
            [envelope.tenant_id, [ALL_EVENTS, envelope.type], envelope.visibility == INTERNAL],
        )
        return [endpoint_id for (endpoint_id,) in cursor.fetchall()]


def webhook_fanout(envelope: Envelope) -> None:
    """Write a delivery of `envelope` for each active endpoint that takes it."""
    endpoint_ids = _endpoints_taking(envelope)
    if not endpoint_ids:
        return
    body = _capped(webhook_body(envelope), envelope)
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                tenant_id=envelope.tenant_id,
                endpoint_id=endpoint_id,
                event_id=envelope.id,
                event_type=envelope.type,
                body=body,
                ticket_number=_ticket_number(envelope),
            )
            for endpoint_id in endpoint_ids
        ]
    )
    for row in rows:
        outbox_enqueue_on_commit(row)
