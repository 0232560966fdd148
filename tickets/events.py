"""The tickets app's event contracts, and the one place that decides what a ticket change
publishes.

Each class is a registered contract (tenants.events): its fields are the payload every
consumer — notifications, webhooks, CRM sync — receives in the envelope's `data`. Ids are the
API's ids (ticket numbers, customer and user UUIDs); personal data — email addresses, names,
subjects, descriptions, comment bodies — never travels in an event (a consumer that needs it
reads it inside the tenant, so an erasure leaves no copy in an event or a delivery log).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from tenants import events
from tenants.access import Actor
from tenants.events import INTERNAL, PER_EVENT, PUBLIC, Event, payload, register

# --- Customers --------------------------------------------------------------------------------


@register
@dataclass(frozen=True)
class CustomerCreated(Event):
    type = "customer.created"
    description = "A customer was created (through the API, a ticket by email, or a sync)."

    id: str = payload("The customer's id.")
    tier: str = payload("free, basic, premium or enterprise.")
    version: int = payload(
        "The customer's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class CustomerUpdated(Event):
    type = "customer.updated"
    description = "A customer's fields changed."

    id: str = payload("The customer's id.")
    tier: str = payload("The customer's tier after the change.")
    changed: list[str] = payload("Names of the fields that changed.")
    version: int = payload(
        "The customer's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class CustomerErased(Event):
    type = "customer.erased"
    description = (
        "A customer's personal data was erased (GDPR art. 17). Carries the CRM id so that "
        "a CRM consumer can propagate the erasure (art. 19); nothing else of the erased data."
    )

    id: str = payload("The customer's id.")
    crm_id: str = payload("The customer's id in the connected CRM, or an empty string.")
    tickets: list[int] = payload("Numbers of the tickets whose content was erased.")


# --- Tickets ----------------------------------------------------------------------------------


@register
@dataclass(frozen=True)
class TicketCreated(Event):
    type = "ticket.created"
    description = "A ticket was opened."

    number: int = payload("The ticket's number in its tenant.")
    status: str = payload("The ticket's status.")
    priority: str = payload("low, medium, high or critical.")
    channel: str = payload("api, email, web or phone.")
    requester: str = payload("The requesting customer's id.")
    assignee: str | None = payload("The assignee's user id, or null.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class TicketUpdated(Event):
    type = "ticket.updated"
    description = "Fields of a ticket changed (any change, status and assignment included)."

    number: int = payload("The ticket's number.")
    status: str = payload("The ticket's status after the change.")
    priority: str = payload("The ticket's priority after the change.")
    changed: list[str] = payload("Names of the fields that changed.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class TicketStatusChanged(Event):
    type = "ticket.status_changed"
    description = "A ticket moved from one status to another (a merge closes its source)."

    number: int = payload("The ticket's number.")
    status: str = payload("The new status.")
    previous_status: str = payload("The status before the move.")
    priority: str = payload("The ticket's priority.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class TicketAssigned(Event):
    type = "ticket.assigned"
    description = "A ticket got a new assignee, or lost its assignee (assignee null)."

    number: int = payload("The ticket's number.")
    assignee: str | None = payload("The new assignee's user id, or null (unassigned).")
    previous_assignee: str | None = payload("The previous assignee's user id, or null.")
    status: str = payload("The ticket's status.")
    priority: str = payload("The ticket's priority.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class TicketMerged(Event):
    type = "ticket.merged"
    description = (
        "A ticket was merged into another: its conversation and history moved there, and it "
        "closed (a ticket.status_changed follows)."
    )

    number: int = payload("The merged (source) ticket's number.")
    into: int = payload("The number of the ticket it was merged into.")
    status: str = payload("The source's status after the merge (closed).")
    moved: dict[str, int] = payload("How many comments, events and attachments moved.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class TicketDeleted(Event):
    type = "ticket.deleted"
    description = "A ticket was deleted with its conversation (the audit log keeps the fact)."

    number: int = payload("The deleted ticket's number.")
    status: str = payload("Its status when deleted.")
    priority: str = payload("Its priority when deleted.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class TicketEscalated(Event):
    type = "ticket.escalated"
    description = (
        "A ticket was escalated (an SLA breach, or open and unassigned for too long): its "
        "priority went up one level."
    )

    number: int = payload("The ticket's number.")
    priority: str = payload("The priority after the escalation.")
    escalation_level: int = payload("How many times the ticket has been escalated.")
    reason: str = payload("sla_breached or unassigned.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class TicketSlaBreached(Event):
    type = "ticket.sla_breached"
    description = "A ticket missed an SLA target (published once per breach)."

    number: int = payload("The ticket's number.")
    target: str = payload("first_response or resolution.")
    due_at: str = payload("When the target was due (ISO 8601, UTC).")
    priority: str = payload("The ticket's priority when it breached.")
    version: int = payload(
        "The ticket's version after this change: a receiver drops anything older than a "
        "version it has seen."
    )


@register
@dataclass(frozen=True)
class CommentCreated(Event):
    type = "comment.created"
    description = (
        "A reply or an internal note was added to a ticket. A note (public false) is "
        "internal: it reaches only consumers that opted in to internal events."
    )
    visibility = PER_EVENT

    ticket: int = payload("The ticket's number.")
    comment: str = payload("The comment's id.")
    public: bool = payload("True for a reply the requester sees, false for an internal note.")

    def visibility_of(self):
        return PUBLIC if self.public else INTERNAL


# --- What a ticket change publishes -----------------------------------------------------------


def _user_id(user) -> str | None:
    return str(user.public_id) if user is not None else None


def ticket_created_publish(*, tenant, actor: Actor, ticket) -> None:
    """Publish the events of a new ticket: created, and assigned when it has an assignee."""
    events.publish(
        TicketCreated(
            number=ticket.number,
            status=ticket.status,
            priority=ticket.priority,
            channel=ticket.channel,
            requester=str(ticket.requester.public_id),
            assignee=_user_id(ticket.assignee),
            version=ticket.version,
        ),
        tenant=tenant,
        actor=actor,
        source=ticket,
    )
    if ticket.assignee_id is not None:
        events.publish(
            TicketAssigned(
                number=ticket.number,
                assignee=_user_id(ticket.assignee),
                previous_assignee=None,
                status=ticket.status,
                priority=ticket.priority,
                version=ticket.version,
            ),
            tenant=tenant,
            actor=actor,
        )


def ticket_changed_publish(
    *, tenant, actor: Actor, ticket, changed: Sequence[str], before: dict
) -> None:
    """Publish the events of one change of a ticket, whoever made it (update, bulk, merge,
    assignment, later SLA escalation): ticket.updated for any change, plus
    ticket.status_changed and ticket.assigned when those fields moved. `before` holds the
    old values of the changed fields."""
    if not changed:
        return
    events.publish(
        TicketUpdated(
            number=ticket.number,
            status=ticket.status,
            priority=ticket.priority,
            changed=list(changed),
            version=ticket.version,
        ),
        tenant=tenant,
        actor=actor,
    )
    if "status" in changed:
        events.publish(
            TicketStatusChanged(
                number=ticket.number,
                status=ticket.status,
                previous_status=before["status"],
                priority=ticket.priority,
                version=ticket.version,
            ),
            tenant=tenant,
            actor=actor,
        )
    if "assignee" in changed:
        events.publish(
            TicketAssigned(
                number=ticket.number,
                assignee=_user_id(ticket.assignee),
                previous_assignee=_user_id(before["assignee"]),
                status=ticket.status,
                priority=ticket.priority,
                version=ticket.version,
            ),
            tenant=tenant,
            actor=actor,
        )
