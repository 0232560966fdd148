"""Writes of the tickets app: customers, tickets, comments and their history."""

from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.errors import NotFoundError, PreconditionFailedError
from tenants import events
from tenants.access import Actor
from tenants.models import Membership, Tenant, User
from tenants.permissions import has_capability
from tenants.services import audit_log_record
from tickets.exceptions import (
    CustomerErasedError,
    CustomerHasTicketsError,
    InvalidStatusTransitionError,
    TicketClosedError,
)
from tickets.models import TRANSITIONS, Comment, Customer, Status, Ticket, TicketEvent
from tickets.selectors import (
    customer_get_for_update,
    ticket_get_for_update,
    ticket_list_for_update,
)
from tickets.services.gdpr import (
    TICKET_PII_FIELDS,
    customer_ensure_not_erased,
    customer_tickets_lock,
)

# --- Customers --------------------------------------------------------------------------------

_CUSTOMER_FIELDS = ("email", "name", "tier", "company", "phone", "crm_id", "metadata")


def _customer_payload(customer: Customer) -> dict[str, Any]:
    return {"id": str(customer.public_id), "email": customer.email, "tier": customer.tier}


# What If-Match asked for: one version, any of several (a list of tags), or None (anything).
ExpectedVersion = int | Collection[int] | None


def _check_version(obj, expected_version: ExpectedVersion) -> None:
    """Raise PreconditionFailedError unless the object is at the expected version (one, or
    any of several: an If-Match list)."""
    if expected_version is None:
        return
    expected = {expected_version} if isinstance(expected_version, int) else expected_version
    if obj.version not in expected:
        raise PreconditionFailedError(
            "The resource changed since you read it.", extra={"version": obj.version}
        )


def _by_email(tenant: Tenant, email: str):
    # Emails are stored lowercased: an exact match uses the (tenant_id, email) index.
    return Customer.objects.filter(tenant=tenant, email=email.strip().lower())


def _email_taken(*, tenant: Tenant, email: str, exclude_pk: int | None = None) -> bool:

    queryset = _by_email(tenant, email)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


@transaction.atomic
def customer_create(*, tenant: Tenant, actor: Actor, email: str, **fields: Any) -> Customer:
    """Create a customer; the email must be new in this tenant (case-insensitively)."""
    email = email.strip().lower()
    if _email_taken(tenant=tenant, email=email):
        raise ValidationError({"email": "A customer with this email already exists."})
    try:
        with transaction.atomic():
            customer = Customer.objects.create(tenant=tenant, email=email, **fields)
    except IntegrityError as exc:  # a concurrent create won
        raise ValidationError({"email": "A customer with this email already exists."}) from exc
    events.publish("customer.created", tenant=tenant, payload=_customer_payload(customer))
    return customer


@transaction.atomic
def customer_find_or_create(
    *, tenant: Tenant, actor: Actor, email: str, name: str = ""
) -> Customer:
    """Return the tenant's customer with this email, creating it if there is none.

    The customer comes back locked against erase and delete until the caller's transaction
    ends (see customer_get_for_update), so whatever the caller attaches to it cannot slip past
    an erasure. One erased while we waited no longer has the email: a new customer is created.
    """
    try:
        return customer_get_for_update(tenant=tenant, email=email, no_key=True)
    except NotFoundError:
        pass
    try:
        return customer_create(tenant=tenant, actor=actor, email=email, name=name)
    except ValidationError:  # created concurrently in between: use (and lock) that one
        return customer_get_for_update(tenant=tenant, email=email, no_key=True)


@transaction.atomic
def customer_update(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    expected_version: ExpectedVersion = None,
    **changes: Any,
) -> Customer:
    """Change a customer's fields (optimistic concurrency through `expected_version`).

    Raises NotFoundError (deleted meanwhile), CustomerErasedError, PreconditionFailedError.
    """
    customer = customer_get_for_update(tenant=tenant, pk=customer.pk, no_key=True)
    customer_ensure_not_erased(customer=customer)
    _check_version(customer, expected_version)
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
        if _email_taken(tenant=tenant, email=changes["email"], exclude_pk=customer.pk):
            raise ValidationError({"email": "A customer with this email already exists."})
    changed = [f for f in _CUSTOMER_FIELDS if f in changes and getattr(customer, f) != changes[f]]
    if not changed:
        return customer
    for field in changed:
        setattr(customer, field, changes[field])
    customer.version += 1
    try:
        with transaction.atomic():
            customer.save(update_fields=[*changed, "version", "updated_at"])
    except IntegrityError as exc:  # the same email was taken concurrently
        raise ValidationError({"email": "A customer with this email already exists."}) from exc
    events.publish(
        "customer.updated",
        tenant=tenant,
        payload={**_customer_payload(customer), "changed": changed},
    )
    return customer


@transaction.atomic
def customer_delete(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete a customer who has no tickets (erase is the way for everyone else).

    Raises NotFoundError (deleted meanwhile), PreconditionFailedError, CustomerHasTicketsError.
    """
    # FOR UPDATE: a ticket create locks its requester first (NO KEY UPDATE), so no ticket can
    # appear between the check and the delete.
    customer = customer_get_for_update(tenant=tenant, pk=customer.pk)
    _check_version(customer, expected_version)
    if Ticket.objects.filter(tenant=tenant, requester=customer).exists():
        raise CustomerHasTicketsError(
            "This customer has tickets; erase their personal data instead."
        )
    # The delete clears the customer from comments and history on other customers' tickets:
    # take those tickets first, in the one lock order, as every other writer of them does.
    customer_tickets_lock(tenant=tenant, customer=customer)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="customer.deleted",
        target_type="customer",
        target_id=str(customer.public_id),
    )
    customer.delete()


# --- Tickets ----------------------------------------------------------------------------------

# Fields a PATCH may change, in the order their history rows are written.
TICKET_FIELDS = (
    "subject",
    "description",
    "status",
    "priority",
    "category",
    "channel",
    "assignee",
    "tags",
    "metadata",
    "external_id",
)


def _next_number(tenant: Tenant) -> int:
    """Allocate the tenant's next ticket number: gap-free and race-free.

    The counter row stays locked until the ticket's transaction ends, so concurrent creates
    queue here, and a rolled-back create gives its number back.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketcounter (tenant_id, public_id, last_number) "
            "VALUES (%s, gen_random_uuid(), 1) "
            "ON CONFLICT (tenant_id) DO UPDATE "
            "SET last_number = tickets_ticketcounter.last_number + 1 "
            "RETURNING last_number",
            [tenant.pk],
        )
        return cursor.fetchone()[0]


def assignable(*, tenant: Tenant, user: User | None) -> bool:
    """Whether `user` is an active member of `tenant` whose role may work tickets."""
    if user is None:
        return True
    roles = [
        r
        for r, _ in Membership._meta.get_field("role").choices
        if has_capability(r, "ticket.write")
    ]
    return Membership.objects.filter(
        tenant=tenant, user=user, is_active=True, role__in=roles
    ).exists()


def _check_assignee(tenant: Tenant, assignee: User | None) -> None:
    if not assignable(tenant=tenant, user=assignee):
        raise ValidationError(
            {"assignee": "Must be an active member of this tenant who can work tickets."}
        )


def _history_value(field: str, value: Any) -> Any:
    if field == "assignee":
        return str(value.public_id) if value is not None else None
    return value


def history_row(ticket: Ticket, actor: Actor, field: str, old: Any, new: Any) -> TicketEvent:
    """Build (not save) one history row: who changed which field of a ticket, from, to."""
    return TicketEvent(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        customer_id=ticket.requester_id,
        actor_user=actor.user,
        actor_label=actor.label,
        field=field,
        old_value=_history_value(field, old),
        new_value=_history_value(field, new),
    )


def _ticket_payload(ticket: Ticket) -> dict[str, Any]:
    return {"number": ticket.number, "status": ticket.status, "priority": ticket.priority}


@transaction.atomic
def ticket_create(
    *,
    tenant: Tenant,
    actor: Actor,
    subject: str,
    requester: Customer | None = None,
    customer_email: str | None = None,
    customer_name: str = "",
    assignee: User | None = None,
    **fields: Any,
) -> Ticket:
    """Open a ticket for a customer (given, or found/created by email) with a new number."""
    if (requester is None) == (customer_email is None):
        raise ValidationError({"requester": "Give either requester or customer_email."})
    _check_assignee(tenant, assignee)
    external_id = fields.get("external_id")
    if external_id and Ticket.objects.filter(external_id=external_id).exists():
        raise ValidationError({"external_id": "A ticket with this external_id already exists."})
    # The requester is locked before the check and until the ticket commits: an erase either
    # finished before (the check fails) or waits and then erases this ticket too.
    if requester is None:
        requester = customer_find_or_create(
            tenant=tenant, actor=actor, email=customer_email, name=customer_name
        )
    else:
        requester = _requester_lock(tenant, requester)
    customer_ensure_not_erased(customer=requester)
    ticket = Ticket(
        tenant=tenant,
        number=_next_number(tenant),
        subject=subject,
        requester=requester,
        assignee=assignee,
        **fields,
    )
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError as exc:  # external_id taken concurrently
        raise ValidationError(
            {"external_id": "A ticket with this external_id already exists."}
        ) from exc
    TicketEvent.objects.bulk_create([history_row(ticket, actor, "ticket", None, "created")])
    events.publish("ticket.created", tenant=tenant, payload=_ticket_payload(ticket))
    if assignee is not None:
        events.publish("ticket.assigned", tenant=tenant, payload=_ticket_payload(ticket))
    return ticket


def _apply_status(ticket: Ticket, new_status: str, now) -> None:
    old = ticket.status
    if new_status not in TRANSITIONS[old]:
        raise InvalidStatusTransitionError(
            f"A ticket cannot go from {old} to {new_status}.",
            extra={"from": old, "to": new_status, "allowed": sorted(TRANSITIONS[old])},
        )
    ticket.status = new_status
    if new_status == Status.RESOLVED:
        ticket.resolved_at = now
    elif new_status == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif old == Status.RESOLVED:  # reopened
        ticket.resolved_at = None
    ticket.sla_paused = new_status == Status.PENDING


def _requester_lock(tenant: Tenant, requester: Customer) -> Customer:
    try:
        return customer_get_for_update(tenant=tenant, pk=requester.pk, no_key=True)
    except NotFoundError as exc:  # deleted since the input was read: as if it never existed
        raise ValidationError(
            {"requester": f"Object with public_id={requester.public_id} does not exist."}
        ) from exc


@transaction.atomic
def ticket_update(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    expected_version: ExpectedVersion = None,
    **changes: Any,
) -> Ticket:
    """Change a ticket: status moves are checked, every changed field leaves a history row.

    Locks the ticket first (NotFoundError when it was deleted meanwhile) and works on the
    locked row; raises PreconditionFailedError, TicketClosedError, ValidationError.
    """
    ticket = ticket_get_for_update(tenant=tenant, pk=ticket.pk)
    return ticket_update_locked(
        tenant=tenant, actor=actor, ticket=ticket, expected_version=expected_version, **changes
    )


def ticket_update_locked(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    expected_version: int | None = None,
    **changes: Any,
) -> Ticket:
    """ticket_update's rules for a ticket the caller locked in this transaction (through
    ticket_get_for_update or ticket_list_for_update, e.g. a bulk holding many)."""
    _check_version(ticket, expected_version)
    if ticket.status == Status.CLOSED and changes:
        raise TicketClosedError("A closed ticket cannot change; open a follow-up ticket.")
    rewrites = [f for f in TICKET_PII_FIELDS if f in changes and changes[f] != getattr(ticket, f)]
    if rewrites and ticket.requester.erased_at is not None:
        # What the customer wrote was erased; a stale form must not write it back.
        raise CustomerErasedError(
            "The requester's personal data was erased: this ticket's "
            f"{', '.join(rewrites)} cannot change.",
            extra={"fields": rewrites},
        )
    if "assignee" in changes:
        _check_assignee(tenant, changes["assignee"])
    if changes.get("external_id") and (
        Ticket.objects.filter(external_id=changes["external_id"]).exclude(pk=ticket.pk).exists()
    ):
        raise ValidationError({"external_id": "A ticket with this external_id already exists."})
    now = timezone.now()
    history = []
    changed = []
    for field in TICKET_FIELDS:
        if field not in changes:
            continue
        old, new = getattr(ticket, field), changes[field]
        if old == new:
            continue
        if field == "status":
            _apply_status(ticket, new, now)
        else:
            setattr(ticket, field, new)
        history.append(history_row(ticket, actor, field, old, new))
        changed.append(field)
    if not changed:
        return ticket
    ticket.version += 1
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError as exc:  # external_id taken concurrently
        raise ValidationError(
            {"external_id": "A ticket with this external_id already exists."}
        ) from exc
    TicketEvent.objects.bulk_create(history)
    payload = {**_ticket_payload(ticket), "changed": changed}
    events.publish("ticket.updated", tenant=tenant, payload=payload)
    if "status" in changed:
        events.publish("ticket.status_changed", tenant=tenant, payload=payload)
    if "assignee" in changed:
        events.publish("ticket.assigned", tenant=tenant, payload=payload)
    return ticket


# Automatic strategies this build can run: none yet (the SLA/assignment work adds round_robin
# and least_loaded, with the code that picks for them). "manual" is a person choosing, so it
# cannot pick anyone by itself: a manual assignment names the assignee.
ASSIGNMENT_STRATEGIES: tuple[str, ...] = ()


@transaction.atomic
def ticket_assign(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    assignee: User | None = None,
    strategy: str | None = None,
) -> Ticket:
    """Assign a ticket to a member (or unassign with None).

    `strategy` is the seam for automatic assignment (round-robin, least-loaded, seniors
    first), which the SLA/assignment work fills in; today only explicit assignees exist.
    """
    if strategy == "manual":
        raise ValidationError({"strategy": "Manual assignment takes an explicit assignee."})
    if strategy is not None:
        # Until a strategy can pick, falling through would unassign the ticket.
        raise ValidationError({"strategy": f"Unknown or unavailable strategy {strategy!r}."})
    return ticket_update(tenant=tenant, actor=actor, ticket=ticket, assignee=assignee)


@transaction.atomic
def ticket_delete(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete a ticket with its comments, history and attachments (their files go on commit);
    the audit log keeps the fact. Raises NotFoundError (deleted meanwhile),
    PreconditionFailedError.
    """
    # The delete also clears the pointer of tickets merged into this one: lock them with it,
    # in id order in one statement, so a bulk or merge holding one of them cannot deadlock us.
    # One merged in while we waited comes out of order: locked without waiting (409 if busy).
    merged_from = Q(merged_into=ticket.pk)
    locked = ticket_list_for_update(tenant=tenant, where=Q(pk=ticket.pk) | merged_from)
    ticket = next((t for t in locked if t.pk == ticket.pk), None)
    if ticket is None:
        raise NotFoundError("Not found.")
    ticket_list_for_update(
        tenant=tenant, where=merged_from & ~Q(pk__in=[t.pk for t in locked]), nowait=True
    )
    _check_version(ticket, expected_version)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="ticket.deleted",
        target_type="ticket",
        target_id=str(ticket.number),
        target_label=f"#{ticket.number}",  # the append-only log keeps no subjects (PII)
    )
    payload = _ticket_payload(ticket)
    ticket.delete()
    events.publish("ticket.deleted", tenant=tenant, payload=payload)


# --- Comments ---------------------------------------------------------------------------------


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
    CustomerErasedError, TicketClosedError.
    """
    if author_customer is not None:
        author_customer = customer_get_for_update(tenant=tenant, pk=author_customer.pk, no_key=True)
        customer_ensure_not_erased(customer=author_customer)
    ticket = ticket_get_for_update(tenant=tenant, pk=ticket.pk)
    if ticket.status == Status.CLOSED:
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
        ticket.version += 1
        ticket.save(update_fields=["first_response_at", "version", "updated_at"])
        TicketEvent.objects.bulk_create(
            [history_row(ticket, actor, "first_response_at", None, comment.created_at.isoformat())]
        )
    events.publish(
        "comment.created",
        tenant=tenant,
        payload={"ticket": ticket.number, "comment": str(comment.public_id), "public": public},
    )
    return comment
