"""Races with real threads and separate connections: ticket numbers and If-Match."""

from contextlib import nullcontext

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.transaction import TransactionManagementError

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.concurrency import held, in_background, race, wait_until_blocked
from tickets import services
from tickets.models import Customer, Ticket

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])

THREADS = 8
PER_THREAD = 5


def _create_many(tenant):
    def call():
        numbers = []
        for i in range(PER_THREAD):
            with tenant_context(tenant):
                ticket = services.ticket_create(
                    tenant=tenant, actor=Actor(), subject=f"t{i}", customer_email="c@example.test"
                )
            numbers.append(ticket.number)
        return numbers

    return call


def test_concurrent_creates_get_gap_free_unique_numbers_per_tenant(tenant, other_tenant):
    calls = [_create_many(tenant if i % 2 else other_tenant) for i in range(THREADS)]

    results = race(*calls)

    assert not [r for r in results if isinstance(r, Exception)], results
    for t in (tenant, other_tenant):
        with tenant_context(t):
            numbers = sorted(Ticket.objects.values_list("number", flat=True))
        assert numbers == list(range(1, THREADS // 2 * PER_THREAD + 1))


def test_a_create_by_a_new_address_waiting_on_its_customers_creation_uses_that_customer(
    tenant,
):
    """customer_find_or_create has no savepoint of its own: the losing insert is undone by
    customer_create's, and the create goes on with the winner's customer, in one ticket."""

    def create_customer():
        with tenant_context(tenant):
            return services.customer_create(tenant=tenant, actor=Actor(), email="new@example.test")

    def open_ticket():
        with tenant_context(tenant):
            return services.ticket_create(
                tenant=tenant, actor=Actor(), subject="s", customer_email="NEW@example.test"
            )

    with held(create_customer) as first:
        opening = in_background(open_ticket)
        wait_until_blocked(opening)  # its insert waits on the uncommitted same address
    customer, ticket = first.result(), opening.result()

    assert isinstance(ticket, Ticket), ticket
    assert ticket.requester_id == customer.pk
    with tenant_context(tenant):
        assert Customer.objects.filter(email="new@example.test").count() == 1
        assert Ticket.objects.get(pk=ticket.pk).requester_id == customer.pk


@pytest.mark.parametrize("caller", ["its own transaction", "a savepoint", "no savepoint"])
def test_a_create_failing_after_its_first_write_leaves_nothing_behind(tenant, caller):
    """ticket_create's writes have no savepoint of their own: when its insert fails (the
    external_id taken meanwhile) after it created the customer, the tenant's transaction (as a
    task runs it) or the caller's savepoint undoes both, and the caller goes on; a caller that
    catches the error without a savepoint cannot go on silently in a half-written state."""

    def first():
        with tenant_context(tenant):
            return services.ticket_create(
                tenant=tenant,
                actor=Actor(),
                subject="first",
                customer_email="c@example.test",
                external_id="X-1",
            )

    def create():
        services.ticket_create(
            tenant=tenant,
            actor=Actor(),
            subject="second",
            customer_email="fresh@example.test",
            external_id="X-1",
        )

    def second():
        error = None
        if caller == "its own transaction":
            try:
                with tenant_context(tenant):
                    create()
            except ValidationError as exc:
                error = exc
            with tenant_context(tenant):
                services.customer_create(tenant=tenant, actor=Actor(), email="after@example.test")
                return error, Customer.objects.filter(email="fresh@example.test").exists()
        with tenant_context(tenant), transaction.atomic():
            try:
                with transaction.atomic() if caller == "a savepoint" else nullcontext():
                    create()
            except ValidationError as exc:
                error = exc
            left = Customer.objects.filter(email="fresh@example.test").exists()
            services.customer_create(tenant=tenant, actor=Actor(), email="after@example.test")
            return error, left

    with held(first):
        opening = in_background(second)
        wait_until_blocked(opening)  # its ticket insert waits on the uncommitted X-1
    outcome = opening.result()

    with tenant_context(tenant):
        emails = set(Customer.objects.values_list("email", flat=True))
        assert list(Ticket.objects.values_list("subject", flat=True)) == ["first"]
    if caller == "no savepoint":
        assert isinstance(outcome, TransactionManagementError), outcome
        assert emails == {"c@example.test"}
        return
    error, left = outcome
    assert "external_id" in error.message_dict, error
    assert left is False  # the customer it created went with the failed insert
    assert emails == {"c@example.test", "after@example.test"}
    with tenant_context(tenant):  # the failed insert took its number with it: no gap
        after = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="next", customer_email="c@example.test"
        )
    assert after.number == 2


def test_a_rolled_back_create_gives_its_number_back(tenant):
    with tenant_context(tenant):
        first = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="a", customer_email="c@example.test"
        )
        with pytest.raises(RuntimeError), transaction.atomic():
            services.ticket_create(
                tenant=tenant, actor=Actor(), subject="b", customer_email="c@example.test"
            )
            raise RuntimeError("roll back")
        second = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="c", customer_email="c@example.test"
        )

    assert (first.number, second.number) == (1, 2)


def test_concurrent_patches_with_the_same_if_match_let_exactly_one_win(tenant, member, api_client):
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="race", customer_email="c@example.test"
        )
    clients = [api_client(member(Role.AGENT)) for _ in range(4)]
    url = f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/"

    def patch(client, priority):
        return lambda: (
            client.patch(
                url, {"priority": priority}, format="json", HTTP_IF_MATCH=f'"{ticket.version}"'
            ).status_code
        )

    statuses = race(
        *[patch(c, p) for c, p in zip(clients, ["low", "high", "critical", "low"], strict=True)]
    )
    with tenant_context(tenant):
        final = Ticket.objects.get(pk=ticket.pk)
        history = final.events.filter(field="priority").count()

    assert sorted(statuses) == [200, 412, 412, 412]
    assert final.version == ticket.version + 1
    assert history == 1


def test_concurrent_patches_to_the_same_email_never_500(tenant, member, api_client):
    with tenant_context(tenant):
        first = services.customer_create(tenant=tenant, actor=Actor(), email="a@example.test")
        second = services.customer_create(tenant=tenant, actor=Actor(), email="b@example.test")
    clients = [api_client(member(Role.AGENT)) for _ in range(2)]
    base = f"/api/v1/t/{tenant.slug}/customers"

    statuses = race(
        *[
            lambda c=client, obj=obj: (
                c.patch(
                    f"{base}/{obj.public_id}/", {"email": "same@example.test"}, format="json"
                ).status_code
            )
            for client, obj in zip(clients, (first, second), strict=True)
        ]
    )

    assert sorted(statuses) == [200, 400]


def test_delete_honours_if_match(tenant, member, api_client):
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="x", customer_email="c@example.test"
        )
    client = api_client(member(Role.ADMIN))
    url = f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/"
    client.patch(url, {"priority": "high"}, format="json")

    stale = client.delete(url, HTTP_IF_MATCH='"1"')
    fresh = client.delete(url, HTTP_IF_MATCH='"2"')

    assert (stale.status_code, fresh.status_code) == (412, 204)
