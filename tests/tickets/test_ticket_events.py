"""Domain events the ticket and customer services publish."""

import pytest

from tenants.context import tenant_context
from tests.events import published as capture
from tests.tickets.helpers import make_ticket
from tests.tickets.ticket_helpers import PRINTER
from tickets import services
from tickets.exceptions import InvalidStatusTransitionError

# --- Domain events --------------------------------------------------------------------------------


EVENT_NAMES = (
    "ticket.created",
    "ticket.updated",
    "ticket.status_changed",
    "ticket.assigned",
    "comment.created",
    "customer.created",
    "customer.updated",
)


@pytest.fixture
def published():
    """The envelopes of EVENT_NAMES published during the test."""
    with capture(*EVENT_NAMES) as seen:
        yield seen


def _seen(envelopes) -> list[tuple]:
    return [(e.type, e.tenant_id, e.data) for e in envelopes]


def test_ticket_create_publishes_customer_and_ticket_created(tenant, actor, published):
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=actor, subject="Hi", customer_email="new@example.test"
        )

    assert _seen(published) == [
        (
            "customer.created",
            tenant.pk,
            {"id": str(ticket.requester.public_id), "tier": "free", "version": 1},
        ),
        (
            "ticket.created",
            tenant.pk,
            {
                "number": ticket.number,
                "status": "open",
                "priority": "medium",
                "channel": "api",
                "requester": str(ticket.requester.public_id),
                "assignee": None,
                "version": 1,
            },
        ),
    ]
    assert {e.actor["type"] for e in published} == {"member"}
    assert {e.visibility for e in published} == {"public"}


def test_ticket_create_with_an_assignee_also_publishes_assigned(tenant, actor, agent, published):
    with tenant_context(tenant):
        customer = services.customer_create(tenant=tenant, actor=actor, email="c@example.test")
        published.clear()

        ticket = services.ticket_create(
            tenant=tenant, actor=actor, subject="Hi", requester=customer, assignee=agent.user
        )

    assert [e.type for e in published] == ["ticket.created", "ticket.assigned"]
    assert published[1].data == {
        "number": ticket.number,
        "assignee": str(agent.user.public_id),
        "previous_assignee": None,
        "status": "open",
        "priority": "medium",
        "version": 1,
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"priority": "high"}, ["ticket.updated"], id="priority"),
        pytest.param(
            {"status": "pending"}, ["ticket.updated", "ticket.status_changed"], id="status"
        ),
        pytest.param({"assignee": "agent"}, ["ticket.updated", "ticket.assigned"], id="assignee"),
        pytest.param(
            {"status": "in_progress", "assignee": "agent", "subject": "x"},
            ["ticket.updated", "ticket.status_changed", "ticket.assigned"],
            id="all",
        ),
        pytest.param({"priority": "medium", "status": "open"}, [], id="no-op"),
    ],
)
def test_ticket_update_publishes_per_kind_of_change(
    tenant, actor, agent, published, changes, expected
):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        published.clear()
        resolved = {k: agent.user if v == "agent" else v for k, v in changes.items()}

        services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, **resolved)

    assert [e.type for e in published] == expected
    assert all(e.data["number"] == ticket.number for e in published)


def test_refused_update_publishes_nothing(tenant, actor, published):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="resolved", **PRINTER)
        published.clear()

        with pytest.raises(InvalidStatusTransitionError):
            services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status="pending")

    assert published == []


def test_comment_create_publishes_comment_created(tenant, actor, published):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        published.clear()

        comment = services.comment_create(
            tenant=tenant, actor=actor, ticket=ticket, body="Note", public=False
        )

    assert _seen(published) == [
        (
            "comment.created",
            tenant.pk,
            {"ticket": ticket.number, "comment": str(comment.public_id), "public": False},
        )
    ]
    assert published[0].visibility == "internal"


def test_customer_update_publishes_only_real_changes(tenant, actor, published):
    with tenant_context(tenant):
        customer = services.customer_create(tenant=tenant, actor=actor, email="c@example.test")

        services.customer_update(tenant=tenant, actor=actor, customer=customer, tier="free")
        services.customer_update(
            tenant=tenant, actor=actor, customer=customer, tier="premium", name="Cee"
        )

    assert [(e.type, e.data.get("changed")) for e in published] == [
        ("customer.created", None),
        ("customer.updated", ["name", "tier"]),
    ]


def test_find_or_create_publishes_created_only_for_a_new_customer(tenant, actor, published):
    with tenant_context(tenant):
        first = services.customer_find_or_create(tenant=tenant, actor=actor, email="c@example.test")
        again = services.customer_find_or_create(tenant=tenant, actor=actor, email="C@Example.TEST")

    assert again.pk == first.pk
    assert [e.type for e in published] == ["customer.created"]
