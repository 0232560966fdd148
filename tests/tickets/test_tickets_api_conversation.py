"""A ticket's comments and history through the API."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tests.tickets.tickets_api_helpers import _counts
from tickets import services


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


# --- Comments -------------------------------------------------------------------------------------


def test_comments_are_listed_oldest_first_with_internal_notes(
    tenant, member, api_client, client, tickets_url, agent
):
    ticket = make_ticket(tenant, subject="Printer on fire")
    url = f"{tickets_url}{ticket.number}/comments/"
    for body, public in [("first", True), ("note", False), ("third", True)]:
        assert client.post(url, {"body": body, "public": public}, format="json").status_code == 201

    response = api_client(member(Role.VIEWER)).get(url)

    assert response.status_code == 200
    assert [(c["body"], c["public"]) for c in response.json()["results"]] == [
        ("first", True),
        ("note", False),
        ("third", True),
    ]
    assert {c["author_user"] for c in response.json()["results"]} == {str(agent.user.public_id)}


def test_comment_defaults_to_public(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.post(f"{tickets_url}{ticket.number}/comments/", {"body": "Hi"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["public"] is True


def test_viewer_cannot_comment(tenant, member, api_client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    before = _counts(tenant)

    response = api_client(member(Role.VIEWER)).post(
        f"{tickets_url}{ticket.number}/comments/", {"body": "Me too"}, format="json"
    )

    assert response.status_code == 403
    assert _counts(tenant) == before


def test_comment_on_a_closed_ticket_is_409(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="closed")
    before = _counts(tenant)

    response = client.post(f"{tickets_url}{ticket.number}/comments/", {"body": "Hi"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
    assert _counts(tenant) == before


# --- History endpoint -----------------------------------------------------------------------------


def test_events_are_listed_oldest_first(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire")
    url = f"{tickets_url}{ticket.number}/"
    client.patch(url, {"priority": "high"}, format="json")
    client.patch(url, {"status": "in_progress"}, format="json")
    client.post(f"{url}comments/", {"body": "On it"}, format="json")

    response = client.get(f"{url}events/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["field"], r["old"], r["new"]) for r in rows[:3]] == [
        ("ticket", None, "created"),
        ("priority", "medium", "high"),
        ("status", "open", "in_progress"),
    ]
    assert rows[3]["field"] == "first_response_at"
    assert [r["actor"] for r in rows] == ["system", *[agent.user.email] * 3]
    assert rows[1]["actor_user"] == str(agent.user.public_id)


def test_events_of_a_missing_ticket_are_404(tenant, client, tickets_url):
    response = client.get(f"{tickets_url}999/events/")

    assert response.status_code == 404
