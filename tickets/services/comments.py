"""Writes of comments: replies and internal notes."""

from django.core.exceptions import ValidationError
from django.db import transaction

from tenants import events
from tenants.access import Actor
from tenants.models import Tenant
from tenants.validation import boolean_check, fields_clean
from tickets import history, sla, workflow
from tickets.events import CommentCreated
from tickets.exceptions import TicketClosedError
from tickets.models import Comment, Customer, Ticket, TicketEvent
from tickets.selectors import customer_get_for_update, ticket_get_for_update
from tickets.services.gdpr import customer_ensure_not_erased
from tickets.validation import COMMENT_BODY_RULE


@transaction.atomic
def comment_create(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    body: str,
    public: bool = True,
    author_customer: Customer | None = None,
) -> Comment:
    """Add a reply or internal note. The first public reply by the team stops the
    first-response clock.

    A customer's comment locks the customer first (customers before tickets), so it cannot
    slip past an erasure. Raises NotFoundError (ticket or customer deleted meanwhile),
    CustomerErasedError, TicketClosedError; ValidationError (body, public) before any query.
    """
    fields_clean(
        {"body": body, "public": public}, {"body": COMMENT_BODY_RULE, "public": boolean_check}
    )
    if author_customer is not None and not isinstance(author_customer, Customer):
        raise ValidationError({"author_customer": "Must be a customer or None."})
    if author_customer is not None:
        author_customer = customer_get_for_update(tenant=tenant, pk=author_customer.pk, no_key=True)
        customer_ensure_not_erased(customer=author_customer)
    ticket = ticket_get_for_update(tenant=tenant, pk=ticket.pk)
    if workflow.is_final(ticket.status):
        raise TicketClosedError("A closed ticket takes no comments; open a follow-up ticket.")
    comment = Comment.objects.create(
        tenant=tenant,
        ticket=ticket,
        author_user=actor.user if author_customer is None else None,
        author_customer=author_customer,
        body=body,
        public=public,
    )
    by_team = author_customer is None
    if by_team and public and ticket.first_response_at is None:
        ticket.first_response_at = comment.created_at
        sla.business_minutes_stamp(ticket, calendar=sla.sla_calendar_load())
        ticket.version += 1
        ticket.save(
            update_fields=[
                "first_response_at",
                "first_response_business_minutes",
                "version",
                "updated_at",
            ]
        )
        TicketEvent.objects.bulk_create([history.first_response(ticket, actor, comment.created_at)])
    events.publish(
        CommentCreated(ticket=ticket.number, comment=str(comment.public_id), public=public),
        tenant=tenant,
        actor=actor,
        customer=author_customer,
    )
    return comment
