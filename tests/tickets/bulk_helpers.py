"""What the bulk-change tests share: the URL and call, the thin make_ticket wrapper, and
snapshots of tickets and their history."""

import json

from tenants.access import Actor
from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import TicketEvent


def bulk_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/tickets/bulk/"


def post(client, tenant, body):
    return client.post(bulk_url(tenant), json.dumps(body), content_type="application/json")


def updated_ticket(tenant, subject="Help", **changes):
    """make_ticket, then `changes` applied by one ticket_update."""
    # Not make_ticket(**changes), which sets fields at creation: these tests count history
    # rows, and the setup changes must leave theirs (one row per field, version + 1).
    ticket = make_ticket(tenant, subject=subject)
    with tenant_context(tenant):
        return services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, **changes)


def history(tenant, ticket):
    """The ticket's history rows after creation, oldest first, as (field, old, new)."""
    with tenant_context(tenant):
        return list(
            TicketEvent.objects.filter(ticket=ticket)
            .exclude(field="ticket")
            .order_by("id")
            .values_list("field", "old_value", "new_value")
        )
