"""Reads of the tickets app."""

from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, F, Func, IntegerField, QuerySet, Value
from django.db.models.functions import Cast

from tenants.models import Tenant
from tickets.models import Attachment, Comment, Customer, ExportJob, Ticket, TicketEvent
from tickets.search import SEARCH_POSITION, ticket_search_ids


def customer_list(*, tenant: Tenant) -> QuerySet[Customer]:
    """Return the tenant's customers."""
    return Customer.objects.filter(tenant=tenant)


def ticket_list(*, tenant: Tenant) -> QuerySet[Ticket]:
    """Return the tenant's tickets with what their representation needs (no N+1)."""
    return Ticket.objects.filter(tenant=tenant).select_related(
        "requester", "assignee", "merged_into"
    )


def ticket_search(
    *, tenant: Tenant, query: str, queryset: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket]:
    """Return the tenant's tickets matching a full-text query, best match first.

    Narrows `queryset` (default: ticket_list) to the matches and annotates each with its
    `search_position` (1 = best); docs/search.md explains why the index lives outside RLS.
    """
    ids = ticket_search_ids(query=query)
    queryset = ticket_list(tenant=tenant) if queryset is None else queryset
    position = Func(
        Cast(Value(ids), ArrayField(BigIntegerField())),
        F("id"),
        function="array_position",
        output_field=IntegerField(),
    )
    return (
        queryset.filter(tenant=tenant, pk__in=ids)
        .annotate(**{SEARCH_POSITION: position})
        .order_by(SEARCH_POSITION)
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


def attachment_list(*, tenant: Tenant, ticket: Ticket | None = None) -> QuerySet[Attachment]:
    """Return the tenant's attachments (of one ticket when given), oldest first."""
    queryset = Attachment.objects.filter(tenant=tenant).select_related(
        "ticket", "comment", "uploaded_by"
    )
    if ticket is not None:
        queryset = queryset.filter(ticket=ticket)
    return queryset.order_by("created_at", "id")


def export_job_list(*, tenant: Tenant) -> QuerySet[ExportJob]:
    """Return the tenant's export jobs with their requester."""
    return ExportJob.objects.filter(tenant=tenant).select_related("requested_by")
