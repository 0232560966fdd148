"""Test helpers for tickets made the way the application makes them: through the services."""

from tenants.access import SYSTEM, Actor
from tenants.context import tenant_context
from tickets import services
from tickets.models import Ticket

# Every status is one legal move away from open (tickets.workflow).
_ONE_MOVE_FROM_OPEN = {"in_progress", "pending", "resolved", "closed"}


def make_ticket(
    tenant,
    *,
    actor: Actor | None = None,
    status: str = "open",
    subject: str = "Help",
    **fields,
) -> Ticket:
    """A ticket created through tickets.services.ticket_create inside tenant_context(tenant),
    by `actor` (default: the system), then moved to `status` through ticket_update.

    `fields` go to ticket_create (description, priority, assignee, tags, external_id, …);
    without a requester the customer is found or made by customer_email
    (default asker@example.test). A test that needs a raw row (an explicit pk, a state the
    services refuse) uses tests.tickets.recipes.ticket_recipe instead.
    """
    actor = SYSTEM if actor is None else actor
    if "requester" not in fields:
        fields.setdefault("customer_email", "asker@example.test")
    if status != "open" and status not in _ONE_MOVE_FROM_OPEN:
        raise ValueError(f"make_ticket cannot reach status {status!r} from open")
    with tenant_context(tenant):
        ticket = services.ticket_create(tenant=tenant, actor=actor, subject=subject, **fields)
        if status != "open":
            ticket = services.ticket_update(
                tenant=tenant, actor=actor, ticket=ticket, status=status
            )
    return ticket


def list_both_ways(client, url, monkeypatch):
    """GET the ticket list `url` through the view's first-page paths (the plain list's
    compiled page, a search's top-n), then through DRF's general list: two responses that
    must be the same."""
    from rest_framework import mixins

    from tickets.api.views import TicketViewSet

    fast = client.get(url)
    with monkeypatch.context() as patch:
        patch.setattr(TicketViewSet, "list", mixins.ListModelMixin.list)
        general = client.get(url)
    return fast, general
