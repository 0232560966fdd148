"""Reads of the tickets app, and the one access path of its writes: fetch-and-lock.

Every service that changes an existing row gets it from a `*_for_update` selector below: the
row is locked (SELECT … FOR UPDATE) until the transaction ends and read again after the lock,
so the service re-checks and acts on the row as it is now, never on an object (or a
`select_related` copy) read before it waited. A row that is gone is a NotFoundError (404, the
body of any missing object). The lock order, everywhere: customers before tickets, tickets by
id (one statement per set), then the rows under them (comments, history, attachments).
"""

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from django.db import OperationalError, transaction
from django.db.models import F, JSONField, Q, QuerySet
from django.db.models.expressions import RawSQL

from config.errors import NotFoundError
from tenants.compiled import CompiledQuery
from tenants.models import Membership, Tenant, TenantModel, User
from tenants.permissions import roles_with
from tickets.exceptions import TicketBusyError
from tickets.filters import CustomerFilter, TicketFilter, filterset_apply
from tickets.models import (
    MERGED_INTO_NUMBER,
    MERGED_INTO_READ_FOR,
    Attachment,
    Comment,
    Customer,
    ExportJob,
    SlaPolicy,
    Ticket,
    TicketEvent,
)
from tickets.search import SEARCH_POSITION, ticket_search_ids, ticket_search_narrow
from tickets.sla import CALENDAR_VALUES, SLA_CONFIG_VALUES, sla_config_sql


def customer_list(*, tenant: Tenant) -> QuerySet[Customer]:
    """Return the tenant's customers."""
    return Customer.objects.filter(tenant=tenant)


def ticket_list(*, tenant: Tenant, representation: bool = True) -> QuerySet[Ticket]:
    """Return the tenant's tickets with what their representation needs (no N+1).

    That includes the tenant's business calendar (the SLA's remaining minutes are counted on
    it), read by the same statement: an uncorrelated sub-select, which PostgreSQL runs once
    per query (an InitPlan), so a page or a ticket costs one statement, not two. Of the ticket
    a ticket was merged into only the number is read (MERGED_INTO_NUMBER), not a whole row.
    `representation=False` leaves the calendar out (an export reads rows it does not render).
    """
    return _tickets(
        Ticket.objects.filter(tenant=tenant), tenant_id=tenant.pk, representation=representation
    )


def _tickets(
    tickets: QuerySet[Ticket], *, tenant_id: int, representation: bool = True
) -> QuerySet[Ticket]:
    tickets = tickets.select_related("requester", "assignee").annotate(
        **{
            MERGED_INTO_NUMBER: F("merged_into__number"),
            MERGED_INTO_READ_FOR: F("merged_into_id"),
        }
    )
    if not representation:
        return tickets
    calendar = RawSQL(
        "SELECT jsonb_build_array(timezone, intervals, holidays) "
        "FROM tickets_businesshours WHERE tenant_id = %s",
        (tenant_id,),
        output_field=JSONField(),
    )
    return tickets.annotate(**{CALENDAR_VALUES: calendar})


def ticket_search(
    *, tenant: Tenant, query: str, queryset: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket]:
    """Return the tenant's tickets matching a full-text query, best match first.

    Narrows `queryset` (default: ticket_list) to the matches and annotates each with its
    `search_position` (1 = best); docs/search.md explains why the index lives outside RLS.
    """
    queryset = ticket_list(tenant=tenant) if queryset is None else queryset
    return ticket_search_narrow(queryset.filter(tenant=tenant), query=query)


def ticket_search_first(*, tenant: Tenant, query: str, size: int) -> list[Ticket]:
    """Return the first `size` tickets of a search with no other filter, best match first, each
    annotated with its `search_position`, as ticket_search lists them.

    The search function's best `size` ids (`tickets_search`: a top-n of the ranked matches,
    where the general path numbers every match), then their tickets: for a word with 10,000
    matches about 5 ms less in PostgreSQL (bench/RESULTS.md). A ticket deleted between the two
    reads sends the page through the general path.
    """
    ids = ticket_search_ids(query=query, limit=size)
    tickets = ticket_list(tenant=tenant).in_bulk(ids)
    if len(tickets) != len(ids):
        return list(ticket_search(tenant=tenant, query=query)[:size])
    page = [tickets[pk] for pk in ids]
    for position, ticket in enumerate(page, start=1):
        setattr(ticket, SEARCH_POSITION, position)
    return page


def customer_list_filtered(
    *,
    tenant: Tenant,
    user: User | None,
    filters: Mapping[str, Any],
    queryset: QuerySet[Customer] | None = None,
) -> QuerySet[Customer]:
    """Return the tenant's customers the customer list's filters select (tickets.filters).

    Narrows `queryset` (default: customer_list). Raises ValidationError({filter: [messages]}).
    """
    queryset = customer_list(tenant=tenant) if queryset is None else queryset
    return filterset_apply(
        CustomerFilter(data=filters, queryset=queryset, tenant=tenant, user=user)
    )


def ticket_list_filtered(
    *,
    tenant: Tenant,
    user: User | None,
    filters: Mapping[str, Any],
    queryset: QuerySet[Ticket] | None = None,
) -> QuerySet[Ticket]:
    """Return the tenant's tickets the ticket list's filters select (tickets.filters).

    `filters` holds query-string values; `user` is who `assignee=me` means (None for an API
    key or a job: then it matches nothing). Narrows `queryset` (default: ticket_list); a
    `search` orders by best match. Raises ValidationError({filter: [messages]}).
    """
    queryset = ticket_list(tenant=tenant) if queryset is None else queryset
    if not any(name in filters for name in TicketFilter.base_filters):
        return queryset  # no filter given: no FilterSet and form to build on every list page
    return filterset_apply(TicketFilter(data=filters, queryset=queryset, tenant=tenant, user=user))


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


def sla_policy_list(*, tenant: Tenant) -> QuerySet[SlaPolicy]:
    """Return the tenant's SLA policies (the default first: it is always the oldest)."""
    return SlaPolicy.objects.filter(tenant=tenant)


def export_job_list(*, tenant: Tenant) -> QuerySet[ExportJob]:
    """Return the tenant's export jobs with their requester."""
    return ExportJob.objects.filter(tenant=tenant).select_related("requested_by")


# --- One object (NotFoundError: a missing one and another tenant's are the same 404) ----------


def _not_found() -> NotFoundError:
    return NotFoundError()


def customer_get(*, tenant: Tenant, public_id: UUID | str) -> Customer:
    """Return the tenant's customer with this id. Raises NotFoundError (a malformed id too)."""
    try:
        public_id = UUID(str(public_id))
    except ValueError as exc:
        raise _not_found() from exc
    customer = customer_list(tenant=tenant).filter(public_id=public_id).first()
    if customer is None:
        raise _not_found()
    return customer


def ticket_get(*, tenant: Tenant, number: int | None = None, pk: int | None = None) -> Ticket:
    """Return the tenant's ticket (by number or id) with requester, assignee and merged_into.

    Raises NotFoundError. For a write, lock it instead (ticket_get_for_update).
    """
    if (pk is None) == (number is None):
        raise TypeError("Give exactly one of pk and number.")
    if pk is not None:
        found = _TICKET_BY_PK.fetch(of_tenant=tenant.pk, value=pk)
    else:
        found = _TICKET_BY_NUMBER.fetch(of_tenant=tenant.pk, value=number)
    if not found:
        raise _not_found()
    [ticket] = found  # (tenant, id) and (tenant, number) are unique
    return ticket


def _compiled_rows(model: type[TenantModel], tenant_id: int, of_tenant: int) -> QuerySet:
    """The rows a tenant-scoped CompiledQuery starts from: the current tenant's (the helper
    fills `tenant_id` from the context, as the fail-closed manager would) and the tenant the
    caller asked for, so a tenant asked across the context finds nothing, as before."""
    return model.unscoped.filter(tenant_id=tenant_id).filter(tenant_id=of_tenant)


def _ticket_get_query(field: str) -> CompiledQuery:
    def build(tenant_id: int, of_tenant: int, value: int) -> QuerySet[Ticket]:
        tickets = _compiled_rows(Ticket, tenant_id, of_tenant)
        return _tickets(tickets, tenant_id=of_tenant).filter(**{field: value})[:2]

    return CompiledQuery(build, tenant_scoped=True, of_tenant=int, value=int)


def ticket_page_first(*, tenant: Tenant, ordering: tuple[str, ...], size: int) -> list[Ticket]:
    """Return the first `size` tickets of the tenant in `ordering`, as ticket_list reads them:
    the ticket list's plain first page (no filter, no cursor), the page a queue opens on.

    Its query is compiled once per process for each ordering and size (tenants.compiled), a
    millisecond of CPU less per page (bench/RESULTS.md).
    """
    key = (ordering, size)
    query = _FIRST_PAGES.get(key)
    if query is None:
        if not 1 <= size <= _FIRST_PAGE_MAX or ordering not in _FIRST_PAGE_ORDERINGS:
            raise ValueError(f"No compiled first page for {ordering} x {size}")

        def build(tenant_id: int, of_tenant: int) -> QuerySet[Ticket]:
            tickets = _compiled_rows(Ticket, tenant_id, of_tenant)
            return _tickets(tickets, tenant_id=of_tenant).order_by(*ordering)[:size]

        query = _FIRST_PAGES[key] = CompiledQuery(build, tenant_scoped=True, of_tenant=int)
    return query.fetch(of_tenant=tenant.pk)


# A page's size and the list's default ordering bound the compiled first pages (101 x 1).
_FIRST_PAGE_MAX = 101
_FIRST_PAGE_ORDERINGS = {("-created_at", "-id")}
_FIRST_PAGES: dict[tuple[tuple[str, ...], int], CompiledQuery] = {}


# Every route under tickets/<number>/ reads its ticket first: compiled once per process
# (tenants.compiled), a millisecond of CPU less per request (bench/RESULTS.md).
_TICKET_BY_NUMBER = _ticket_get_query("number")
_TICKET_BY_PK = _ticket_get_query("pk")


# --- Fetch-and-lock (writes only) -------------------------------------------------------------


def customer_get_for_update(
    *,
    tenant: Tenant,
    pk: int | None = None,
    public_id: UUID | None = None,
    email: str | None = None,
    no_key: bool = False,
    with_sla_config: bool = False,
) -> Customer:
    """Lock the tenant's customer (by id, public id or email) until the transaction ends and
    return it as committed now. Raises NotFoundError when there is none (any more).

    `with_sla_config` reads the tenant's SLA configuration in the same statement (for
    tickets.sla.sla_config_for): a new ticket locks its requester, then needs it. It is read
    in the statement's snapshot, taken before any wait for the lock: a policy change that
    commits while this waits is not seen, as it would not be by a read just before the lock.
    A policy change recomputes the running tickets it sees; a ticket committed after that
    recompute keeps the targets it was created with. A read after the lock had that window
    too, but without the lock wait in it.

    `no_key` takes FOR NO KEY UPDATE, for writes that attach data to the customer (tickets,
    comments) or change it: they queue behind an erase or delete (FOR UPDATE), and an erase or
    delete queues behind them. A lookup by email that waited on an erase finds nothing: the
    erased customer's email is gone.
    """
    given = {"pk": pk, "public_id": public_id, "email": email}
    if sum(value is not None for value in given.values()) != 1:
        raise TypeError("Give exactly one of pk, public_id and email.")
    [(field, value)] = [(k, v) for k, v in given.items() if v is not None]
    if field == "email":
        value = value.strip().lower()
    query = _CUSTOMER_FOR_UPDATE[field, no_key, with_sla_config]
    found = query.fetch(of_tenant=tenant.pk, value=value)
    if not found:
        raise _not_found()
    return found[0]


def _customer_for_update_query(
    field: str, kind: type, no_key: bool, with_sla_config: bool
) -> CompiledQuery:
    def build(tenant_id: int, of_tenant: int, value: Any) -> QuerySet[Customer]:
        customers = _compiled_rows(Customer, tenant_id, of_tenant)
        if with_sla_config:  # a scalar subquery of the locked row's tenant
            customers = customers.annotate(**{SLA_CONFIG_VALUES: _SLA_CONFIG_OF_CUSTOMER})
        locked = customers.select_for_update(no_key=no_key)
        return locked.filter(**{field: value}).order_by("pk")[:1]

    return CompiledQuery(build, tenant_scoped=True, of_tenant=int, value=kind)


# The SLA configuration of the locked customer's tenant (tickets.sla): built from constants.
_SLA_CONFIG_OF_CUSTOMER = RawSQL(  # noqa: S611
    sla_config_sql('"tickets_customer"."tenant_id"'), (), output_field=JSONField()
)
# Every ticket opened or changed locks its requester first: compiled once per process
# (tenants.compiled), most of a millisecond of CPU less per write (bench/RESULTS.md).
_CUSTOMER_FOR_UPDATE = {
    (field, no_key, with_sla): _customer_for_update_query(field, kind, no_key, with_sla)
    for field, kind in (("pk", int), ("public_id", UUID), ("email", str))
    for no_key in (False, True)
    for with_sla in (False, True)
}


def ticket_list_for_update(
    *,
    tenant: Tenant,
    pks: Iterable[int] | None = None,
    numbers: Iterable[int] | None = None,
    where: Q | None = None,
    nowait: bool = False,
) -> list[Ticket]:
    """Lock the tenant's tickets with these ids, numbers or matching `where`, in id order (the
    one lock order of tickets), and return them read after the lock (with requester, assignee
    and merged_into), in id order. Tickets that do not exist are simply absent.

    `nowait` raises TicketBusyError instead of waiting for a ticket another transaction holds
    (for a caller that already holds tickets out of order and must not deadlock).
    """
    condition = Q()
    if pks is not None:
        condition &= Q(pk__in=list(pks))
    if numbers is not None:
        condition &= Q(number__in=list(numbers))
    if where is not None:
        condition &= where
    locking = (
        Ticket.objects.filter(tenant=tenant)
        .filter(condition)
        .select_for_update(nowait=nowait)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if nowait:
        try:
            with transaction.atomic():  # a savepoint: the refusal must not break the caller
                ids = list(locking)
        except OperationalError as exc:  # another transaction holds one of them
            raise TicketBusyError() from exc
    else:
        ids = list(locking)
    if not ids:
        return []
    # A second statement: a fresh snapshot, so the related rows are as current as the ticket.
    return list(ticket_list(tenant=tenant).filter(pk__in=ids).order_by("id"))


def ticket_get_for_update(*, tenant: Tenant, pk: int | None = None, number: int | None = None):
    """Lock the tenant's ticket (by id or number) until the transaction ends and return it as
    committed now, with requester, assignee and merged_into. Raises NotFoundError."""
    if (pk is None) == (number is None):
        raise TypeError("Give exactly one of pk and number.")
    tickets = ticket_list_for_update(
        tenant=tenant,
        pks=[pk] if pk is not None else None,
        numbers=[number] if number is not None else None,
    )
    if not tickets:
        raise _not_found()
    return tickets[0]


def ticket_pair_get_for_update(*, tenant: Tenant, first: int, second: int) -> tuple[Ticket, Ticket]:
    """Lock two of the tenant's tickets (by id) in id order, so two writes taking the same
    pair (merges either way, a merge and a bulk or delete) queue instead of deadlocking.
    Returns them in the order asked. Raises NotFoundError when either is gone."""
    by_pk = {t.pk: t for t in ticket_list_for_update(tenant=tenant, pks=[first, second])}
    if first not in by_pk or second not in by_pk:
        raise _not_found()
    return by_pk[first], by_pk[second]


def attachment_get_for_update(*, tenant: Tenant, pk: int, ticket: Ticket) -> Attachment:
    """Lock one attachment of a ticket (lock the ticket first) and return it as committed now.
    Raises NotFoundError when it is gone or now belongs to another ticket (a merge moved it)."""
    attachment = (
        Attachment.objects.select_for_update().filter(tenant=tenant, pk=pk, ticket=ticket).first()
    )
    if attachment is None:
        raise _not_found()
    attachment.ticket = ticket  # the locked ticket, not a copy read before the lock
    return attachment


def _labels(users) -> dict[str, str]:
    return {
        str(public_id): f"{name} <{email}>" if name else email
        for public_id, name, email in users.values_list("public_id", "name", "email")
    }


def people_names(*, public_ids) -> dict[str, str]:
    """Return "name <email>" (or the email) of the users with these public ids, in one query
    (none for no ids): the members a ticket's history names."""
    return _labels(User.objects.filter(public_id__in=public_ids)) if public_ids else {}


def member_names(*, tenant: Tenant) -> dict[str, str]:
    """Return "name <email>" of every member of the tenant by public id (one query)."""
    return _labels(User.objects.filter(memberships__tenant=tenant))


def assignable_members(*, tenant: Tenant) -> QuerySet[User]:
    """Return the members a ticket of the tenant may be assigned to: active, with a role that
    works tickets; by name. The one definition the services, the API and the admin share."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(
            tenant=tenant, is_active=True, role__in=roles_with("ticket.write")
        ).values("user_id")
    ).order_by("name", "email")
