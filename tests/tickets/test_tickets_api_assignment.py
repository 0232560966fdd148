"""Ticket assignment through the API: who may be assigned, and the assign endpoint."""

import pytest

from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tickets.helpers import make_ticket
from tests.tickets.tickets_api_helpers import _counts, _reload
from tickets.models import TicketEvent


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


# --- Assignee rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.AGENT])
def test_assignee_may_be_any_active_agent_capable_member(member, client, tickets_url, role):
    target = member(role)

    response = client.post(
        tickets_url,
        {
            "subject": "Hi",
            "customer_email": "a@example.test",
            "assignee": str(target.user.public_id),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["assignee"] == str(target.user.public_id)


@pytest.fixture
def non_assignable(member, other_tenant):
    return {
        "viewer": lambda: str(member(Role.VIEWER).user.public_id),
        "inactive-agent": lambda: str(member(Role.AGENT, is_active=False).user.public_id),
        "other-tenant-agent": lambda: str(member(Role.AGENT, tenant=other_tenant).user.public_id),
        "unknown-id": lambda: "00000000-0000-4000-8000-000000000000",
        "not-a-uuid": lambda: "bob",
    }


NON_ASSIGNABLE = ["viewer", "inactive-agent", "other-tenant-agent", "unknown-id", "not-a-uuid"]


@pytest.mark.parametrize("who", NON_ASSIGNABLE)
def test_create_with_a_non_assignable_user_is_400(tenant, client, tickets_url, non_assignable, who):
    assignee = non_assignable[who]()
    before = _counts(tenant)

    response = client.post(
        tickets_url,
        {"subject": "Hi", "customer_email": "a@example.test", "assignee": assignee},
        format="json",
    )

    assert response.status_code == 400
    assert "assignee" in field_errors(response)
    assert _counts(tenant) == before


@pytest.mark.parametrize("who", NON_ASSIGNABLE)
@pytest.mark.parametrize("route", ["patch", "assign"])
def test_assigning_a_non_assignable_user_is_400(
    tenant, client, tickets_url, non_assignable, who, route
):
    ticket = make_ticket(tenant, subject="Printer on fire")
    assignee = non_assignable[who]()
    url = f"{tickets_url}{ticket.number}/" + ("assign/" if route == "assign" else "")
    before = _counts(tenant)

    response = client.generic(
        "POST" if route == "assign" else "PATCH",
        url,
        f'{{"assignee": "{assignee}"}}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "assignee" in field_errors(response)
    assert _reload(tenant, ticket).assignee_id is None
    assert _counts(tenant) == before


# --- The assign endpoint --------------------------------------------------------------------------


def test_assign_sets_the_assignee_and_records_it(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.post(
        f"{tickets_url}{ticket.number}/assign/",
        {"assignee": str(agent.user.public_id)},
        format="json",
    )
    with tenant_context(tenant):
        row = TicketEvent.objects.filter(ticket=ticket).latest("id")

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == str(agent.user.public_id)
    assert response["ETag"] == '"2"'
    assert (row.field, row.old_value, row.new_value) == (
        "assignee",
        None,
        str(agent.user.public_id),
    )


def test_assign_null_unassigns(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire", assignee=agent.user)

    response = client.post(
        f"{tickets_url}{ticket.number}/assign/", {"assignee": None}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] is None
    assert _reload(tenant, ticket).assignee_id is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"strategy": "manual"}, id="manual-needs-an-assignee"),
        pytest.param({"strategy": "bogus"}, id="unknown"),
        pytest.param({}, id="empty"),
    ],
)
def test_assign_without_an_explicit_assignee_is_400_and_keeps_the_assignee(
    tenant, client, tickets_url, agent, body
):
    ticket = make_ticket(tenant, subject="Printer on fire", assignee=agent.user)
    before = _counts(tenant)

    response = client.post(f"{tickets_url}{ticket.number}/assign/", body, format="json")

    assert response.status_code == 400
    assert set(field_errors(response)) & {"strategy", "assignee"}
    assert _reload(tenant, ticket).assignee_id == agent.user.pk
    assert _counts(tenant) == before


def test_assign_with_both_assignee_and_strategy_is_400(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.post(
        f"{tickets_url}{ticket.number}/assign/",
        {"assignee": str(agent.user.public_id), "strategy": "manual"},
        format="json",
    )

    assert response.status_code == 400
    assert _reload(tenant, ticket).assignee_id is None
