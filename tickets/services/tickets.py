"""Writes of tickets: create, update (the one path of every field change), assign, delete."""

from functools import partial
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.errors import NotFoundError
from tenants import events
from tenants.access import Actor
from tenants.compiled import CompiledInsert, Computed
from tenants.models import Tenant, User
from tenants.services import audit_log_record
from tenants.validation import email_check, fields_clean
from tickets import history, workflow
from tickets.events import TicketDeleted, ticket_changed_publish, ticket_created_publish
from tickets.exceptions import CustomerErasedError, TicketClosedError
from tickets.models import Customer, Ticket, TicketEvent
from tickets.selectors import (
    assignable_members,
    customer_get_for_update,
    ticket_get_for_update,
    ticket_list_for_update,
)
from tickets.services.assignment import STRATEGIES, NoCandidateError, assignee_pick
from tickets.services.customers import customer_find_or_create
from tickets.services.gdpr import TICKET_PII_FIELDS, customer_ensure_not_erased
from tickets.services.versions import ExpectedVersion, version_check
from tickets.sla import SlaConfig, sla_calendar_keep, sla_config_for, sla_refresh
from tickets.validation import (
    CUSTOMER_RULES,
    TICKET_CREATE_RULES,
    TICKET_UPDATE_RULES,
    tags_update_check,
)

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
_EXTERNAL_ID_TAKEN = "A ticket with this external_id already exists."
_NOT_ASSIGNABLE = "Must be an active member of this tenant who can work tickets."


# The tenant's next ticket number: gap-free and race-free. The counter row stays locked until
# the ticket's transaction ends, so concurrent creates queue on it, and a rolled-back create
# gives its number back. It is taken as late as possible: by the ticket's own INSERT
# (_TICKET_INSERT), so only the statements after it run while the tenant's other creates
# wait. Lock order: the requester, the assignment cursor (auto-assignment), then this counter.
# A transaction that created one ticket and then auto-assigns a second would take the cursor
# after a counter and could deadlock with another create; no code path creates two tickets
# in one transaction — keep it so, or take the cursor first.
_NEXT_NUMBER = (
    "INSERT INTO tickets_ticketcounter (tenant_id, public_id, last_number) "
    "VALUES (%s, gen_random_uuid(), 1) "
    "ON CONFLICT (tenant_id) DO UPDATE "
    "SET last_number = tickets_ticketcounter.last_number + 1 "
    "RETURNING last_number"
)


def _next_number(ticket: Ticket) -> int:
    """Allocate the ticket's tenant's next number by a statement of its own."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [ticket.tenant_id])
        return cursor.fetchone()[0]


def assignable(*, tenant: Tenant, user: User | None) -> bool:
    """Whether `user` is an active member of `tenant` whose role may work tickets."""
    if user is None:
        return True
    return assignable_members(tenant=tenant).filter(pk=user.pk).exists()


def assignee_check(*, tenant: Tenant, assignee: User | None) -> None:
    """Raise ValidationError on `assignee` unless the user may be assigned tickets here."""
    if not assignable(tenant=tenant, user=assignee):
        raise ValidationError({"assignee": _NOT_ASSIGNABLE})


def _requester_lock(tenant: Tenant, requester: Customer | UUID) -> Customer:
    by = {"public_id": requester} if isinstance(requester, UUID) else {"pk": requester.pk}
    try:
        return customer_get_for_update(tenant=tenant, no_key=True, with_sla_config=True, **by)
    except NotFoundError as exc:  # unknown, or deleted since the input was read
        public_id = requester if isinstance(requester, UUID) else requester.public_id
        raise ValidationError(
            {"requester": f"Object with public_id={public_id} does not exist."}
        ) from exc


def _save(ticket: Ticket) -> None:
    # A new ticket through its INSERT built once per process; a change through save().
    write = _TICKET_INSERT.insert if ticket._state.adding else Ticket.save
    if not ticket.external_id:  # nothing the insert could collide on but its new number
        write(ticket)
        return
    try:
        with transaction.atomic():
            write(ticket)
    except IntegrityError as exc:  # external_id taken concurrently
        raise ValidationError({"external_id": _EXTERNAL_ID_TAKEN}) from exc


# A new ticket and its first history entry: their INSERTs built once per process.
_TICKET_INSERT = CompiledInsert(
    Ticket,
    computed=Computed(
        field="number",
        cte=_NEXT_NUMBER,
        expression="last_number",
        params=lambda ticket: [ticket.tenant_id],
        alone=_next_number,
    ),
)
_EVENT_INSERT = CompiledInsert(TicketEvent)


def ticket_create(
    *,
    tenant: Tenant,
    actor: Actor,
    subject: str,
    requester: Customer | UUID | None = None,
    customer_email: str | None = None,
    customer_name: str = "",
    assignee: User | None = None,
    follow_up_of: Ticket | None = None,
    **fields: Any,
) -> Ticket:
    """Open a ticket for a customer (given, or found/created by email) with a new number;
    `follow_up_of` names the (closed) ticket it follows up, when a customer writes again about
    one (inbound email).

    Raises ValidationError for a bad or unknown field, or a requester that is unknown or
    erased, before anything is written. The writes run without a savepoint of their own (two
    statements less on every ticket opened): an error among them (an external_id taken
    concurrently) fails the enclosing atomic block, so a caller that goes on after catching
    one needs a savepoint of its own around the call (none does: they all let it out).
    """
    if (requester is None) == (customer_email is None):
        raise ValidationError({"requester": "Give either requester or customer_email."})
    if requester is not None and not isinstance(requester, Customer | UUID):
        raise ValidationError({"requester": "Must be a customer or a customer's id."})
    if follow_up_of is not None and (
        not isinstance(follow_up_of, Ticket) or follow_up_of.tenant_id != tenant.pk
    ):
        raise ValidationError({"follow_up_of": "Must be a ticket of this tenant."})
    rules = {
        **TICKET_CREATE_RULES,
        "subject": TICKET_UPDATE_RULES["subject"],
        "assignee": TICKET_UPDATE_RULES["assignee"],
        "customer_name": CUSTOMER_RULES["name"],
        "customer_email": lambda field, value: (
            value if value is None else email_check(field, value)
        ),
    }
    fields = fields_clean(
        {
            "subject": subject,
            "assignee": assignee,
            "customer_email": customer_email,
            "customer_name": customer_name,
            **fields,
        },
        rules,
    )
    subject, assignee = fields.pop("subject"), fields.pop("assignee")
    customer_email, customer_name = fields.pop("customer_email"), fields.pop("customer_name")
    assignee_check(tenant=tenant, assignee=assignee)
    external_id = fields.get("external_id")
    if external_id and Ticket.objects.filter(external_id=external_id).exists():
        raise ValidationError({"external_id": _EXTERNAL_ID_TAKEN})
    # The requester is locked before the check and until the ticket commits: an erase either
    # finished before (the check fails) or waits and then erases this ticket too. A given one
    # is found and locked here, before any write, in one statement.
    if requester is not None:
        requester = _requester_lock(tenant, requester)
        customer_ensure_not_erased(customer=requester)
    with transaction.atomic(savepoint=False):
        return _ticket_insert(
            tenant=tenant,
            actor=actor,
            subject=subject,
            requester=requester,
            customer_email=customer_email,
            customer_name=customer_name,
            assignee=assignee,
            follow_up_of=follow_up_of,
            fields=fields,
        )


def _ticket_insert(
    *,
    tenant: Tenant,
    actor: Actor,
    subject: str,
    requester: Customer | None,
    customer_email: str | None,
    customer_name: str,
    assignee: User | None,
    follow_up_of: Ticket | None,
    fields: dict[str, Any],
) -> Ticket:
    if requester is None:
        requester = customer_find_or_create(
            tenant=tenant,
            actor=actor,
            email=customer_email,
            name=customer_name,
            with_sla_config=True,
        )
        customer_ensure_not_erased(customer=requester)
    ticket = Ticket(
        tenant=tenant,
        subject=subject,
        requester=requester,
        assignee=assignee,
        follow_up_of=follow_up_of.number if follow_up_of is not None else None,
        **fields,
    )
    if assignee is None:
        ticket.assignee = _auto_assignee(tenant, ticket)
    # Read with the requester's lock when this call locked it (one statement less).
    config = sla_config_for(requester)
    sla_refresh(ticket, config=config)
    sla_calendar_keep(ticket, config.calendar)  # its representation needs no second read
    # The number last, by the ticket's INSERT: the counter's row stays locked from there until
    # COMMIT, and the tenant's other creates queue on it (bench/RESULTS.md).
    _save(ticket)
    _EVENT_INSERT.insert(history.ticket_opened(ticket, actor))
    ticket_created_publish(tenant=tenant, actor=actor, ticket=ticket)
    return ticket


def _auto_assignee(tenant: Tenant, ticket: Ticket) -> User | None:
    """The assignee the tenant's automatic strategy picks for a new ticket, when the tenant
    has auto-assignment on; None when it is off, manual, or no one is available (the ticket
    is created unassigned: creating never fails for want of an agent)."""
    settings = tenant.effective_settings
    if not settings["auto_assign"] or settings["assignment_strategy"] not in STRATEGIES:
        return None
    # No savepoint: NoCandidateError is raised by Python, after reads and the assignment
    # cursor's lock (kept until COMMIT, as when someone is picked), never by a failed
    # statement. A ROLLBACK TO SAVEPOINT on every ticket of a tenant whose agents are all away
    # would also drop the connection's prepared statements (docs/operations.md).
    try:
        return assignee_pick(tenant=tenant, ticket=ticket, strategy=settings["assignment_strategy"])
    except NoCandidateError:
        return None


def _later(field: str, value: Any) -> Any:
    return value


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
    locked row; raises PreconditionFailedError, TicketClosedError, ValidationError (a bad or
    unknown field: checked before the lock).
    """
    # Tags are checked against the tags the ticket has, once it is locked.
    changes = fields_clean(changes, {**TICKET_UPDATE_RULES, "tags": _later})
    ticket = ticket_get_for_update(tenant=tenant, pk=ticket.pk)
    return ticket_update_locked(
        tenant=tenant, actor=actor, ticket=ticket, expected_version=expected_version, **changes
    )


def ticket_update_locked(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    expected_version: ExpectedVersion = None,
    sla_config: SlaConfig | None = None,
    **changes: Any,
) -> Ticket:
    """ticket_update's rules for a ticket the caller locked in this transaction (through
    ticket_get_for_update or ticket_list_for_update, e.g. a bulk holding many, which passes
    the tenant's SLA configuration it loaded once)."""
    tags = partial(tags_update_check, current=ticket.tags)
    changes = fields_clean(changes, {**TICKET_UPDATE_RULES, "tags": tags})
    version_check(ticket, expected_version)
    if workflow.is_final(ticket.status) and changes:
        raise TicketClosedError()
    rewrites = [f for f in TICKET_PII_FIELDS if f in changes and changes[f] != getattr(ticket, f)]
    if rewrites and ticket.requester.erased_at is not None:
        # What the customer wrote was erased; a stale form must not write it back.
        raise CustomerErasedError(
            "The requester's personal data was erased: this ticket's "
            f"{', '.join(rewrites)} cannot change.",
            extra={"fields": rewrites},
        )
    if "assignee" in changes:
        assignee_check(tenant=tenant, assignee=changes["assignee"])
    if changes.get("external_id") and (
        Ticket.objects.filter(external_id=changes["external_id"]).exclude(pk=ticket.pk).exists()
    ):
        raise ValidationError({"external_id": _EXTERNAL_ID_TAKEN})
    now = timezone.now()
    rows, before = [], {}
    for field in TICKET_FIELDS:
        if field not in changes:
            continue
        old, new = getattr(ticket, field), changes[field]
        if old == new:
            continue
        if field == "status":
            workflow.move(ticket, new, now=now)
        else:
            setattr(ticket, field, new)
        rows.append(history.field_changed(ticket, actor, field, old, new))
        before[field] = old
    if not before:
        return ticket
    if {"status", "priority"} & before.keys():
        sla_refresh(ticket, config=sla_config)
    ticket.version += 1
    _save(ticket)
    TicketEvent.objects.bulk_create(rows)
    ticket_changed_publish(
        tenant=tenant, actor=actor, ticket=ticket, changed=list(before), before=before
    )
    return ticket


# Automatic strategies this build can run (tickets/services/assignment.py). "manual" is a
# person choosing, so it cannot pick anyone by itself: a manual assignment names the assignee.
ASSIGNMENT_STRATEGIES: tuple[str, ...] = STRATEGIES


@transaction.atomic
def ticket_assign(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    assignee: User | None = None,
    strategy: str | None = None,
) -> Ticket:
    """Assign a ticket to a member (or unassign with None), or let `strategy` pick one
    (round_robin, least_loaded; critical tickets to senior agents first).

    Raises ValidationError on strategy (manual, unknown, no one available) or assignee."""
    if strategy == "manual":
        raise ValidationError({"strategy": "Manual assignment takes an explicit assignee."})
    if strategy is not None:
        locked = ticket_get_for_update(tenant=tenant, pk=ticket.pk)
        if workflow.is_final(locked.status):
            raise TicketClosedError()
        assignee = assignee_pick(tenant=tenant, ticket=locked, strategy=strategy)
        ticket = locked
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
        raise NotFoundError()
    ticket_list_for_update(
        tenant=tenant, where=merged_from & ~Q(pk__in=[t.pk for t in locked]), nowait=True
    )
    version_check(ticket, expected_version)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="ticket.deleted",
        target_type="ticket",
        target_id=str(ticket.number),
        target_label=f"#{ticket.number}",  # the append-only log keeps no subjects (PII)
    )
    deleted = TicketDeleted(
        number=ticket.number,
        status=ticket.status,
        priority=ticket.priority,
        version=ticket.version,
    )
    ticket.delete()
    events.publish(deleted, tenant=tenant, actor=actor)
