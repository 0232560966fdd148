"""Inbound email under concurrency, with real threads and real transactions: the same message
delivered twice at once is filed once; a reply racing the ticket's close, or its requester's
erasure, never writes into a closed ticket or onto an erased customer."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tests.concurrency import held, in_background, race, wait_until_blocked
from tests.notifications.inbound_helpers import (
    comments_on,
    customers_of,
    email,
    inbound_rows,
    receive,
    tickets_of,
)
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def test_one_message_delivered_twice_at_once_is_filed_once(tenant):
    raw = email(msgid="<twice@mail.example.test>")

    results = race(lambda: receive(tenant, raw), lambda: receive(tenant, raw))

    assert sorted(r.result for r in results) == ["created", "duplicate"]
    [ticket] = tickets_of(tenant)
    assert {r.ticket for r in results} == {ticket.number}
    assert len(inbound_rows(tenant)) == 1


def test_a_reply_waiting_on_the_tickets_close_becomes_a_follow_up(tenant):
    ticket = make_ticket(tenant, customer_email="ann@example.test", status="resolved")

    def close():
        with tenant_context(tenant):
            locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
            return services.ticket_update(
                tenant=tenant, actor=Actor(), ticket=locked, status="closed"
            )

    with held(close):
        replying = in_background(lambda: receive(tenant, email(subject=f"Re: [#{ticket.number}]")))
        wait_until_blocked(replying)

    result = replying.result()
    assert (result.result, result.follow_up_of) == ("created", ticket.number)
    assert comments_on(tenant, ticket.number) == []


def test_a_reply_waiting_on_its_requesters_erasure_files_under_a_new_customer(tenant):
    ticket = make_ticket(tenant, customer_email="ann@example.test")

    def erase():
        with tenant_context(tenant):
            return services.customer_erase(tenant=tenant, actor=Actor(), customer=ticket.requester)

    with held(erase):
        replying = in_background(lambda: receive(tenant, email(subject=f"Re: [#{ticket.number}]")))
        wait_until_blocked(replying)

    result = replying.result()
    assert (result.result, result.reason) == ("created", "not_the_requester")
    assert comments_on(tenant, ticket.number) == []
    emails = sorted(c.email for c in customers_of(tenant))
    assert emails == ["ann@example.test", f"erased-{ticket.requester.public_id}@erased.invalid"]
