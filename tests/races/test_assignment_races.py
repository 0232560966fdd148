""" "Even and race-free" round-robin with real threads: nine tickets assigned at once over
three agents give each agent three."""

from collections import Counter

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.concurrency import race
from tests.tickets.helpers import make_ticket
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_nine_concurrent_assignments_over_three_agents_are_three_each(tenant, member, strategy):
    agents = [member(Role.AGENT) for _ in range(3)]
    tickets = [make_ticket(tenant) for _ in range(9)]

    def assign(ticket):
        def call():
            with tenant_context(tenant):
                return services.ticket_assign(
                    tenant=tenant, actor=Actor(), ticket=ticket, strategy=strategy
                ).assignee_id

        return call

    results = race(*[assign(t) for t in tickets])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(results) == {m.user_id: 3 for m in agents}
