"""Urgent tickets (DESIGN.md §6: open or in_progress, unassigned, high or critical): the
property and the list filter against one table."""

import pytest

from tenants.context import tenant_context
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets.models import Ticket

# --- Urgent (DESIGN.md §6: open or in_progress, unassigned, high or critical) ---------------------


ASSIGNED, UNASSIGNED = "assigned", "unassigned"


URGENT = [
    ("open", UNASSIGNED, "low", False),
    ("open", UNASSIGNED, "medium", False),
    ("open", UNASSIGNED, "high", True),
    ("open", UNASSIGNED, "critical", True),
    ("open", ASSIGNED, "low", False),
    ("open", ASSIGNED, "medium", False),
    ("open", ASSIGNED, "high", False),
    ("open", ASSIGNED, "critical", False),
    ("in_progress", UNASSIGNED, "low", False),
    ("in_progress", UNASSIGNED, "medium", False),
    ("in_progress", UNASSIGNED, "high", True),
    ("in_progress", UNASSIGNED, "critical", True),
    ("in_progress", ASSIGNED, "low", False),
    ("in_progress", ASSIGNED, "medium", False),
    ("in_progress", ASSIGNED, "high", False),
    ("in_progress", ASSIGNED, "critical", False),
    ("pending", UNASSIGNED, "low", False),
    ("pending", UNASSIGNED, "medium", False),
    ("pending", UNASSIGNED, "high", False),
    ("pending", UNASSIGNED, "critical", False),
    ("pending", ASSIGNED, "low", False),
    ("pending", ASSIGNED, "medium", False),
    ("pending", ASSIGNED, "high", False),
    ("pending", ASSIGNED, "critical", False),
    ("resolved", UNASSIGNED, "low", False),
    ("resolved", UNASSIGNED, "medium", False),
    ("resolved", UNASSIGNED, "high", False),
    ("resolved", UNASSIGNED, "critical", False),
    ("resolved", ASSIGNED, "low", False),
    ("resolved", ASSIGNED, "medium", False),
    ("resolved", ASSIGNED, "high", False),
    ("resolved", ASSIGNED, "critical", False),
    ("closed", UNASSIGNED, "low", False),
    ("closed", UNASSIGNED, "medium", False),
    ("closed", UNASSIGNED, "high", False),
    ("closed", UNASSIGNED, "critical", False),
    ("closed", ASSIGNED, "low", False),
    ("closed", ASSIGNED, "medium", False),
    ("closed", ASSIGNED, "high", False),
    ("closed", ASSIGNED, "critical", False),
]


def _urgent_ticket(tenant, agent, status, assigned, priority) -> Ticket:
    return ticket_recipe.make(
        tenant=tenant,
        requester=customer_recipe.make(tenant=tenant),
        status=status,
        priority=priority,
        assignee=agent.user if assigned == ASSIGNED else None,
        subject=f"{status}/{assigned}/{priority}",
    )


@pytest.mark.parametrize(
    ("status", "assigned", "priority", "urgent"),
    [pytest.param(*row, id="-".join(map(str, row))) for row in URGENT],
)
def test_is_urgent_property(tenant, agent, api_client, status, assigned, priority, urgent):
    with tenant_context(tenant):
        ticket = _urgent_ticket(tenant, agent, status, assigned, priority)

    response = api_client(agent).get(f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/")

    assert ticket.is_urgent is urgent
    assert response.json()["is_urgent"] is urgent


def test_urgent_filter_matches_the_table(tenant, agent, api_client):
    with tenant_context(tenant):
        for status, assigned, priority, _ in URGENT:
            _urgent_ticket(tenant, agent, status, assigned, priority)
    url = f"/api/v1/t/{tenant.slug}/tickets/?page_size=100&urgent="
    client = api_client(agent)

    urgent = {t["subject"] for t in client.get(url + "true").json()["results"]}
    calm = {t["subject"] for t in client.get(url + "false").json()["results"]}

    assert urgent == {f"{s}/{a}/{p}" for s, a, p, u in URGENT if u}
    assert calm == {f"{s}/{a}/{p}" for s, a, p, u in URGENT if not u}
