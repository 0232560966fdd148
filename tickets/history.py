"""Named constructors of a ticket's history rows (TicketEvent): one per kind of change.

Each builds an unsaved row; services bulk-create them with the change they record. The row
keeps the ticket's requester as its customer, so an erasure finds it after a merge moved it.
"""

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from tenants.access import Actor
from tickets.models import Attachment, Customer, Ticket, TicketEvent


def _row(ticket: Ticket, actor: Actor, field: str, old: Any, new: Any) -> TicketEvent:
    return TicketEvent(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        customer_id=ticket.requester_id,
        actor_user=actor.user,
        actor_label=actor.label,
        field=field,
        old_value=old,
        new_value=new,
    )


def _value(field: str, value: Any) -> Any:
    if field == "assignee":
        return str(value.public_id) if value is not None else None
    return value


def ticket_opened(ticket: Ticket, actor: Actor) -> TicketEvent:
    """The ticket was created."""
    return _row(ticket, actor, "ticket", None, "created")


def field_changed(ticket: Ticket, actor: Actor, field: str, old: Any, new: Any) -> TicketEvent:
    """A field of the ticket changed from `old` to `new` (status, priority, assignee, …)."""
    return _row(ticket, actor, field, _value(field, old), _value(field, new))


def first_response(ticket: Ticket, actor: Actor, at: datetime) -> TicketEvent:
    """The team's first public reply stopped the first-response clock."""
    return _row(ticket, actor, "first_response_at", None, at.isoformat())


def sla_breached(ticket: Ticket, actor: Actor, target: str, due_at: datetime) -> TicketEvent:
    """The ticket missed an SLA target (`first_response` or `resolution`) due at `due_at`."""
    return _row(ticket, actor, f"{target}_breached_at", None, due_at.isoformat())


def merged_into(source: Ticket, actor: Actor, target: Ticket) -> TicketEvent:
    """The source ticket was merged into `target`."""
    return _row(source, actor, "merged_into", None, target.number)


def merged_from(target: Ticket, actor: Actor, source: Ticket) -> TicketEvent:
    """`source` was merged into this ticket."""
    return _row(target, actor, "merged_from", None, source.number)


def _attachment_value(attachment: Attachment) -> dict[str, str]:
    return {"id": str(attachment.public_id), "filename": attachment.filename}


def attachment_added(ticket: Ticket, actor: Actor, attachment: Attachment) -> TicketEvent:
    """A file was attached to the ticket."""
    return _row(ticket, actor, "attachment", None, _attachment_value(attachment))


def attachment_removed(ticket: Ticket, actor: Actor, attachment: Attachment) -> TicketEvent:
    """A file was removed from the ticket."""
    return _row(ticket, actor, "attachment", _attachment_value(attachment), None)


def personal_data_erased(
    *, tenant_id: int, ticket_id: int, customer: Customer, actor: Actor, at: datetime
) -> TicketEvent:
    """The requester's personal data on this ticket was erased (GDPR)."""
    return TicketEvent(
        tenant_id=tenant_id,
        ticket_id=ticket_id,
        customer=customer,
        actor_user=actor.user,
        actor_label=actor.label,
        field="personal_data",
        old_value=None,
        new_value="erased",
        created_at=at,
    )


def value_text(value: Any, field: str, people: dict[str, str], moment=None) -> str:
    """A history row's before/after value as a person reads it: "—" for nothing, a member
    (an assignee id) as "name <email>" from `people` (public id -> text), lists joined,
    yes/no, statuses with spaces; times as `moment(datetime)` gives them (else as stored)."""
    if value is None or value == "" or value == []:
        return "—"
    if field == "assignee" and isinstance(value, str):
        return people.get(value, "a former member")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if moment is not None and field.endswith("_at") and isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is not None:
            return moment(parsed)
    return str(value).replace("_", " ") if field == "status" else str(value)


def assignee_ids(events) -> set[str]:
    """The member ids a page of history rows names (so their names are read in one query)."""
    return {
        value
        for event in events
        if event.field == "assignee"
        for value in (event.old_value, event.new_value)
        if isinstance(value, str)
    }
