"""Ticket and customer reads cost a fixed number of queries, whatever the page holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.recipes import comment_recipe, customer_recipe, ticket_recipe

# As in tests/tenants/test_query_counts.py: token (1) + tenant & membership, entering the
# tenant's settings (1) + the page or object, with requester, assignee, merged_into and the
# tenant's business calendar (for the SLA's remaining minutes) in the same statement (1); in
# tests the request's transaction is a savepoint inside the test's, which adds SAVEPOINT,
# RELEASE and the restore of the outer tenant settings: 6 statements. In production the
# request owns its transaction: 3 statements between BEGIN and COMMIT
# (tests/test_request_statements.py).
LIST_QUERIES = 6
DETAIL_QUERIES = 6
# A ticket's sub-list reads the ticket (1) and then the page (1).
SUBLIST_QUERIES = 7


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response


@pytest.fixture
def agents(member):
    return [member(Role.AGENT).user for _ in range(5)]


def _add_tickets(tenant, agents, n):
    """n tickets, each with its own requester and one of several assignees."""
    with tenant_context(tenant):
        return [
            ticket_recipe.make(
                tenant=tenant,
                requester=customer_recipe.make(tenant=tenant),
                assignee=agents[i % len(agents)],
                tags=["a", "b"],
            )
            for i in range(n)
        ]


@pytest.fixture
def client(member, api_client):
    return api_client(member(Role.VIEWER))


def test_ticket_list_costs_the_same_for_1_and_50_tickets(tenant, agents, client):
    url = f"/api/v1/t/{tenant.slug}/tickets/?page_size=100"
    _add_tickets(tenant, agents, 1)
    small, _ = _count(client, url)
    _add_tickets(tenant, agents, 49)

    large, response = _count(client, url)

    assert len(response.json()["results"]) == 50
    assert {t["assignee"] for t in response.json()["results"]} == {str(a.public_id) for a in agents}
    assert small == large == LIST_QUERIES


def test_filtered_ticket_list_costs_the_same(tenant, agents, client):
    url = (
        f"/api/v1/t/{tenant.slug}/tickets/?page_size=100&assignee={agents[0].public_id}"
        "&status=open&tag=a&urgent=false&ordering=-number"
    )
    _add_tickets(tenant, agents, 1)
    small, _ = _count(client, url)
    _add_tickets(tenant, agents, 49)

    large, response = _count(client, url)

    assert len(response.json()["results"]) == 11  # the first ticket and every fifth of the 49
    assert small == large == LIST_QUERIES


@pytest.mark.parametrize("ordering", ["sla_due", "-sla_due", "first_response_due_at"])
def test_ordering_by_due_time_costs_what_ordering_by_created_at_costs(
    tenant, agents, client, ordering
):
    tickets = _add_tickets(tenant, agents, 30)
    with tenant_context(tenant):  # some with a running clock, the rest without
        for i, ticket in enumerate(tickets[:10]):
            ticket.first_response_due_at = ticket.created_at + timedelta(hours=i % 3)
            ticket.save(update_fields=["first_response_due_at"])
    url = f"/api/v1/t/{tenant.slug}/tickets/?page_size=8&ordering="
    reference, _ = _count(client, url + "created_at")

    first, response = _count(client, url + ordering)
    later, response = _count(client, response.json()["next"])
    back, _ = _count(client, response.json()["previous"])

    assert len(response.json()["results"]) == 8
    assert first == later == back == reference == LIST_QUERIES


def test_ticket_detail_costs_a_fixed_number_of_queries(tenant, agents, client):
    first = _add_tickets(tenant, agents, 1)[0]
    small, _ = _count(client, f"/api/v1/t/{tenant.slug}/tickets/{first.number}/")
    last = _add_tickets(tenant, agents, 49)[-1]

    large, response = _count(client, f"/api/v1/t/{tenant.slug}/tickets/{last.number}/")

    assert response.json()["assignee"] == str(last.assignee.public_id)
    assert small == large == DETAIL_QUERIES


def test_comment_list_costs_the_same_for_1_and_50_comments(tenant, agents, client):
    ticket = _add_tickets(tenant, agents, 1)[0]
    url = f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/comments/?page_size=100"
    with tenant_context(tenant):
        comment_recipe.make(tenant=tenant, ticket=ticket, author_user=agents[0])
    small, _ = _count(client, url)
    with tenant_context(tenant):
        for i in range(49):
            comment_recipe.make(tenant=tenant, ticket=ticket, author_user=agents[i % 5])

    large, response = _count(client, url)

    assert len(response.json()["results"]) == 50
    assert small == large == SUBLIST_QUERIES


def test_customer_list_costs_the_same_for_1_and_50_customers(tenant, client):
    url = f"/api/v1/t/{tenant.slug}/customers/?page_size=100"
    with tenant_context(tenant):
        customer_recipe.make(tenant=tenant)
    small, _ = _count(client, url)
    with tenant_context(tenant):
        customer_recipe.make(tenant=tenant, _quantity=49)

    large, response = _count(client, url)

    assert len(response.json()["results"]) == 50
    assert small == large == LIST_QUERIES
