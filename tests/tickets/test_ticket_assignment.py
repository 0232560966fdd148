"""Ticket assignment in the services: who may be assigned, strategies that cannot pick,
re-assigning the current assignee is a no-op."""

import pytest
from django.core.exceptions import ValidationError

from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tests.tickets.ticket_helpers import PRINTER, _state, _updated_ticket
from tickets import services
from tickets.models import Ticket

# --- Assignment -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "active", "home"),
    [
        pytest.param(Role.VIEWER, True, "same", id="viewer"),
        pytest.param(Role.AGENT, False, "same", id="inactive-agent"),
        pytest.param(Role.AGENT, True, "other", id="other-tenants-agent"),
    ],
)
def test_service_refuses_an_assignee_who_cannot_work_tickets_here(
    tenant, other_tenant, actor, member, role, active, home
):
    home_tenant = {"same": tenant, "other": other_tenant}[home]
    outsider = member(role, tenant=home_tenant, is_active=active).user
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        before = _state(ticket)

        with pytest.raises(ValidationError) as caught:
            services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, assignee=outsider)

        after = _state(ticket)

    assert "assignee" in caught.value.message_dict
    assert after == before


@pytest.mark.parametrize("strategy", ["manual", "bogus", "seniors_first"])
def test_a_strategy_that_cannot_pick_is_refused(tenant, actor, agent, strategy):
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, actor, assignee=agent.user)
        before = _state(ticket)

        with pytest.raises(ValidationError) as caught:
            services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, strategy=strategy)

        after = _state(ticket)
        assignee_id = Ticket.objects.get(pk=ticket.pk).assignee_id

    assert "strategy" in caught.value.message_dict
    assert after == before
    assert assignee_id == agent.user.pk


def test_assign_to_the_current_assignee_is_a_no_op(tenant, actor, agent):
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, actor, assignee=agent.user)
        before = _state(ticket)

        services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, assignee=agent.user)

        after = _state(ticket)

    assert after == before
