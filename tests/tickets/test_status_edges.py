"""Status rules mutation testing found untested: what a refused move tells the client, and a
PATCH that changes nothing on a closed ticket."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket


@pytest.fixture
def client(member, api_client):
    return api_client(member(Role.AGENT))


def _ticket(tenant, *moves):
    # Any sequence of moves (the tests walk paths longer than make_ticket's one move).
    ticket = make_ticket(tenant, subject="Moves", customer_email="m@example.test")
    with tenant_context(tenant):
        for status in moves:
            ticket = services.ticket_update(
                tenant=tenant, actor=Actor(), ticket=ticket, status=status
            )
        return ticket


@pytest.mark.parametrize(
    ("moves", "target", "allowed"),
    [
        (("resolved",), "in_progress", ["closed", "open"]),
        (("in_progress",), "closed", ["open", "pending", "resolved"]),
        (("pending",), "closed", ["in_progress", "open", "resolved"]),
    ],
)
def test_a_refused_move_lists_the_allowed_ones(client, tenant, moves, target, allowed):
    ticket = _ticket(tenant, *moves)

    response = client.patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"status": target}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_status_transition"
    assert response.json()["extra"] == {"from": moves[-1], "to": target, "allowed": allowed}


def test_an_empty_patch_on_a_closed_ticket_changes_nothing_and_is_200(client, tenant):
    ticket = _ticket(tenant, "closed")

    response = client.patch(f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {}, format="json")

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_a_real_change_on_a_closed_ticket_is_409(client, tenant):
    ticket = _ticket(tenant, "closed")

    response = client.patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"priority": "low"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
