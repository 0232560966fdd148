"""Item 6: a write racing a DELETE of its object is a 404, never a 500 (tenants too).

The write read its object before the delete committed and then waits for the row lock the
delete holds; once the delete commits, the locked re-fetch finds nothing: 404 not_found (the
same body as for a missing object). Pinned with the delete held open.
"""

import pytest

from tenants import services as tenant_services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.concurrency import held, in_background, wait_until_blocked
from tests.races.conftest import outcome
from tickets import services
from tickets.models import Customer, Ticket

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])

NOT_FOUND = (404, "not_found")


def _ticket_delete(tenant, world):
    def call():
        with tenant_context(tenant):
            services.ticket_delete(tenant=tenant, actor=world.actor, ticket=world.ticket)

    return call


def _ticket_request(op, client, tenant, world, assignee):
    url = f"/api/v1/t/{tenant.slug}/tickets/{world.ticket.number}/"
    requests = {
        "patch": lambda: client.patch(url, {"priority": "high"}, format="json"),
        "assign": lambda: client.post(
            f"{url}assign/", {"assignee": str(assignee.public_id)}, format="json"
        ),
        "comment": lambda: client.post(f"{url}comments/", {"body": "On it"}, format="json"),
        "delete": lambda: client.delete(url),
    }
    return requests[op]


@pytest.mark.parametrize("op", ["patch", "assign", "comment", "delete"])
def test_a_ticket_write_waiting_on_its_delete_is_404(tenant, member, admin, api_client, build, op):
    world = build()
    agent = member(Role.AGENT).user
    request = _ticket_request(op, api_client(admin), tenant, world, agent)

    with held(_ticket_delete(tenant, world)):
        write = in_background(request)
        wait_until_blocked(write)

    assert outcome(write.result()) == NOT_FOUND
    with tenant_context(tenant):
        assert not Ticket.objects.filter(pk=world.ticket.pk).exists()


def _customer_request(op, client, tenant, customer):
    url = f"/api/v1/t/{tenant.slug}/customers/{customer.public_id}/"
    requests = {
        "patch": lambda: client.patch(url, {"name": "Carol"}, format="json"),
        "delete": lambda: client.delete(url),
        "erase": lambda: client.post(f"{url}erase/", {}, format="json"),
    }
    return requests[op]


@pytest.mark.parametrize("op", ["patch", "delete", "erase"])
def test_a_customer_write_waiting_on_its_delete_is_404(tenant, admin, api_client, op):
    actor = Actor(user=admin.user, role=Role.ADMIN)
    with tenant_context(tenant):
        carol = services.customer_create(tenant=tenant, actor=actor, email="carol@example.test")
    request = _customer_request(op, api_client(admin), tenant, carol)

    def delete():
        with tenant_context(tenant):
            services.customer_delete(tenant=tenant, actor=actor, customer=carol)

    with held(delete):
        write = in_background(request)
        wait_until_blocked(write)

    assert outcome(write.result()) == NOT_FOUND
    with tenant_context(tenant):
        assert not Customer.objects.filter(pk=carol.pk).exists()


def test_a_tenant_delete_waiting_on_another_is_404_and_audited_once(tenant, member, api_client):
    owner = member(Role.OWNER)
    client = api_client(owner)

    def delete():
        tenant_services.tenant_delete(tenant=tenant, actor=Actor(user=owner.user, role=Role.OWNER))

    with held(delete):
        second = in_background(lambda: client.delete(f"/api/v1/t/{tenant.slug}/"))
        wait_until_blocked(second)

    assert outcome(second.result()) == NOT_FOUND
    with tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="tenant.deleted").count() == 1
