"""What the bad-input tests share: the writable endpoints, sending bodies to them, and
checking that a refusal wrote nothing."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tickets import services
from tickets.models import Comment, Customer, Ticket, TicketEvent

UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{tenant}", "{number}" and "{customer}" are filled in per test
    valid: Callable[[SimpleNamespace], dict]
    success: int


ENDPOINTS = {
    "ticket-create": Endpoint(
        "POST",
        "tickets/",
        lambda w: {"subject": "Hi", "customer_email": "fresh@example.test"},
        201,
    ),
    "ticket-patch": Endpoint("PATCH", "tickets/{number}/", lambda w: {"priority": "high"}, 200),
    "customer-create": Endpoint(
        "POST", "customers/", lambda w: {"email": "fresh@example.test"}, 201
    ),
    "customer-patch": Endpoint(
        "PATCH", "customers/{customer}/", lambda w: {"name": "Renamed"}, 200
    ),
    "comment-create": Endpoint("POST", "tickets/{number}/comments/", lambda w: {"body": "Hi"}, 201),
    "assign": Endpoint("POST", "tickets/{number}/assign/", lambda w: {"assignee": w.agent_id}, 200),
}


def each_endpoint():
    return [pytest.param(name, id=name) for name in ENDPOINTS]


def cases(table: dict[str, list[tuple]]) -> list:
    """Flatten {endpoint: [(id, field, value)]} into params with ids like "assign-assignee-int"."""
    return [
        pytest.param(name, *values, id=f"{name}-{case_id}")
        for name, rows in table.items()
        for case_id, *values in rows
    ]


def send_raw(world, name: str, body, content_type: str = "application/json"):
    endpoint = ENDPOINTS[name]
    path = endpoint.path.format(number=world.ticket.number, customer=world.customer.public_id)
    url = f"/api/v1/t/{world.tenant.slug}/{path}"
    return world.client.generic(endpoint.method, url, body, content_type=content_type)


def send(world, name: str, data):
    return send_raw(world, name, json.dumps(data))


def with_valid(world, name: str, fields: dict) -> dict:
    return {**ENDPOINTS[name].valid(world), **fields}


def snapshot(world) -> dict:
    with tenant_context(world.tenant):
        ticket = Ticket.objects.values().get(pk=world.ticket.pk)
        customer = Customer.objects.values().get(pk=world.customer.pk)
        return {
            "tickets": Ticket.objects.count(),
            "customers": Customer.objects.count(),
            "comments": Comment.objects.count(),
            "events": TicketEvent.objects.count(),
            "ticket": {k: v for k, v in ticket.items() if k != "updated_at"},
            "customer": {k: v for k, v in customer.items() if k != "updated_at"},
        }


def assert_rejected(world, response, before, field: str) -> None:
    assert response.status_code == 400, response.content
    assert field in field_errors(response), field_errors(response)
    assert snapshot(world) == before


# The ticket, customer and agent client both bad-input modules send their bodies against.
@pytest.fixture(name="world")
def bad_input_world(tenant, member, api_client):
    agent = member(Role.AGENT)
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant,
            actor=Actor(),
            subject="Printer on fire",
            customer_email="asker@example.test",
            tags=["hardware"],
            metadata={"floor": 3},
            external_id="EXT-1",
        )
    return SimpleNamespace(
        tenant=tenant,
        ticket=ticket,
        customer=ticket.requester,
        agent_id=str(agent.user.public_id),
        client=api_client(agent),
    )
