"""What the ticket API tests share: reading a ticket back and counting rows."""

from tenants.context import tenant_context
from tickets.models import Comment, Customer, Ticket, TicketEvent


def _reload(tenant, ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.select_related("assignee").get(pk=ticket.pk)


def _counts(tenant) -> dict:
    with tenant_context(tenant):
        return {
            "tickets": Ticket.objects.count(),
            "customers": Customer.objects.count(),
            "comments": Comment.objects.count(),
            "events": TicketEvent.objects.count(),
        }
