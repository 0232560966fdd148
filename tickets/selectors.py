"""Reads of the tickets app."""

from django.db.models import QuerySet

from tenants.models import Tenant
from tickets.models import Comment, Customer, Ticket, TicketEvent


def customer_list(*, tenant: Tenant) -> QuerySet[Customer]:
    """Return the tenant's customers."""
    return Customer.objects.filter(tenant=tenant)


def ticket_list(*, tenant: Tenant) -> QuerySet[Ticket]:
    """Return the tenant's tickets with what their representation needs (no N+1)."""
    return Ticket.objects.filter(tenant=tenant).select_related(
        "requester", "assignee", "merged_into"
    )


def comment_list(*, tenant: Tenant, ticket: Ticket) -> QuerySet[Comment]:
    """Return a ticket's comments, oldest first."""
    return (
        Comment.objects.filter(tenant=tenant, ticket=ticket)
        .select_related("author_user", "author_customer")
        .order_by("created_at", "id")
    )


def ticket_event_list(*, tenant: Tenant, ticket: Ticket) -> QuerySet[TicketEvent]:
    """Return a ticket's history, oldest first."""
    return (
        TicketEvent.objects.filter(tenant=tenant, ticket=ticket)
        .select_related("actor_user")
        .order_by("created_at", "id")
    )
