"""What the search tests share: tickets and comments made through the services, and searches
through the API and the search function."""

from tenants.access import Actor
from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket as shared_make_ticket
from tickets import services
from tickets.search import ticket_search_ids


def make_ticket(tenant, subject, description="", **fields):
    """The shared make_ticket, with subject and description positional (as these tests read)."""
    return shared_make_ticket(tenant, subject=subject, description=description, **fields)


def make_comment(tenant, ticket, body, **fields):
    with tenant_context(tenant):
        return services.comment_create(
            tenant=tenant, actor=Actor(), ticket=ticket, body=body, **fields
        )


def found(tenant, query, limit=100) -> list[int]:
    with tenant_context(tenant):
        return ticket_search_ids(query=query, limit=limit)


def search(client, tenant, query, **params):
    response = client.get(
        f"/api/v1/t/{tenant.slug}/tickets/", {"search": query, **params}, format="json"
    )
    assert response.status_code == 200, response.content
    return [ticket["subject"] for ticket in response.json()["results"]]
