"""Tenant isolation of inbound email: a message lands in the tenant of the endpoint (or of the
ESP's envelope recipient) only; every reference it makes to another tenant's tickets, emails or
messages finds nothing there; another tenant's Message-IDs are no duplicates."""

import pytest

from tenants.context import tenant_context
from tests.notifications.helpers import deliveries
from tests.notifications.inbound_helpers import (
    comments_on,
    email,
    inbound_rows,
    post_email,
    receive,
    secret_for,
    tickets_of,
    written,
)
from tests.notifications.recipes import email_delivery_recipe
from tests.tickets.helpers import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def bravos_ticket(other_tenant):
    """Ann's ticket #1 in bravo, with an email bravo sent about it."""
    ticket = make_ticket(other_tenant, customer_email="ann@example.test", subject="Bravo's")
    with tenant_context(other_tenant):
        email_delivery_recipe.make(
            tenant=other_tenant, ticket_number=ticket.number, message_id="<b-1@tenantdesk.local>"
        )
    return ticket


def test_references_to_another_tenants_ticket_find_nothing_here(
    tenant, other_tenant, bravos_ticket
):
    secret = secret_for(tenant)
    alphas = make_ticket(tenant, customer_email="carol@example.test", subject="Alpha's #1")
    before = written(other_tenant)
    raw = email(
        subject=f"Re: [#{bravos_ticket.number}]",
        headers={
            "In-Reply-To": "<b-1@tenantdesk.local>",
            "References": f"<ticket-{bravos_ticket.public_id}@tenantdesk.local>",
        },
    )

    response = post_email(tenant, raw, secret=secret)

    # alpha's #1 exists but is Carol's: Ann's reply is a ticket of her own, in alpha.
    assert response.json()["result"] == "created"
    assert response.json()["reason"] == "not_the_requester"
    assert comments_on(tenant, alphas.number) == []
    assert written(other_tenant) == before
    assert comments_on(other_tenant, bravos_ticket.number) == []


def test_another_tenants_received_messages_are_no_duplicates_here(tenant, other_tenant):
    raw = email(msgid="<shared@mail.example.test>")
    receive(other_tenant, raw)

    result = receive(tenant, raw)

    assert result.result == "created"
    assert [row.ticket_number for row in inbound_rows(tenant)] == [result.ticket]
    assert len(inbound_rows(other_tenant)) == 1


def test_a_reply_to_a_message_filed_in_another_tenant_finds_nothing_here(tenant, other_tenant):
    first = "<first@mail.example.test>"
    receive(other_tenant, email(msgid=first))

    result = receive(tenant, email(subject="Follow-up", headers={"References": first}))

    assert (result.result, result.reason) == ("created", "")
    assert len(tickets_of(other_tenant)) == 1


def test_the_inbound_log_and_emails_stay_in_their_tenant(tenant, other_tenant):
    receive(tenant, email())

    assert inbound_rows(other_tenant) == [] and tickets_of(other_tenant) == []
    assert deliveries(other_tenant) == []
    assert [row.kind for row in deliveries(tenant)] == ["ticket_received"]
