"""The fetch-and-lock selectors every write goes through: inside the tenant only, NotFound
for a missing row, and a refusal instead of a wait when asked not to wait."""

import pytest
from django.db.models import Q

from config.errors import NotFoundError
from tenants.context import tenant_context
from tests.concurrency import held, in_background
from tests.tickets.helpers import make_ticket
from tickets import selectors
from tickets.exceptions import TicketBusyError
from tickets.models import Ticket


@pytest.mark.django_db
def test_another_tenants_rows_are_not_found_like_missing_ones(tenant, other_tenant):
    theirs = make_ticket(other_tenant, customer_email="c@example.test")

    with tenant_context(tenant):
        with pytest.raises(NotFoundError) as ticket_error:
            selectors.ticket_get_for_update(tenant=tenant, pk=theirs.pk)
        with pytest.raises(NotFoundError) as customer_error:
            selectors.customer_get_for_update(tenant=tenant, pk=theirs.requester_id)

    assert ticket_error.value.detail == customer_error.value.detail == "Not found."


@pytest.mark.django_db
def test_tickets_come_back_read_after_the_lock_in_id_order(tenant):
    first, second = (
        make_ticket(tenant, customer_email="c@example.test"),
        make_ticket(tenant, customer_email="c@example.test"),
    )

    with tenant_context(tenant):
        locked = selectors.ticket_list_for_update(
            tenant=tenant, numbers=[second.number, first.number]
        )

    assert [t.pk for t in locked] == sorted([first.pk, second.pk])
    assert locked[0].requester.email == "c@example.test"


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_a_lock_that_must_not_wait_is_refused_with_409_ticket_busy(tenant):
    ticket = make_ticket(tenant, customer_email="c@example.test")

    def lock(**kwargs):
        def call():
            with tenant_context(tenant):
                return selectors.ticket_list_for_update(
                    tenant=tenant, where=Q(pk=ticket.pk), **kwargs
                )

        return call

    with held(lock()):
        refused = in_background(lock(nowait=True)).result()

    assert isinstance(refused, TicketBusyError)
    assert (refused.status_code, refused.code) == (409, "ticket_busy")
    with tenant_context(tenant):
        assert Ticket.objects.filter(pk=ticket.pk).exists()
