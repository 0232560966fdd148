"""Bulk ticket changes that succeed: every field with one history row each, the response,
skipped and deduplicated tickets, the actor, the events, who may."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.events import published as capture
from tests.tickets.bulk_helpers import history, post, updated_ticket
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import TicketEvent

# --- Happy paths ----------------------------------------------------------------------------------


def test_bulk_changes_every_field_with_exact_history_rows(supervisor_client, tenant, agent):
    first = updated_ticket(tenant, "First", tags=["billing", "vip"])
    second = updated_ticket(tenant, "Second", tags=["vip"])
    untouched = make_ticket(tenant, subject="Untouched")
    body = {
        "numbers": [first.number, second.number],
        "changes": {
            "status": "in_progress",
            "priority": "high",
            "assignee": str(agent.user.public_id),
            "tags_add": ["urgent"],
            "tags_remove": ["vip"],
        },
    }
    before_untouched = history(tenant, untouched)

    response = post(supervisor_client, tenant, body)

    assert response.status_code == 200, response.content
    assignee = str(agent.user.public_id)
    assert history(tenant, first)[1:] == [
        ("status", "open", "in_progress"),
        ("priority", "medium", "high"),
        ("assignee", None, assignee),
        ("tags", ["billing", "vip"], ["billing", "urgent"]),
    ]
    assert history(tenant, second)[1:] == [
        ("status", "open", "in_progress"),
        ("priority", "medium", "high"),
        ("assignee", None, assignee),
        ("tags", ["vip"], ["urgent"]),
    ]
    assert history(tenant, untouched) == before_untouched


def test_bulk_response_lists_updated_numbers_and_representations(supervisor_client, tenant):
    first, second = make_ticket(tenant), make_ticket(tenant)

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [second.number, first.number], "changes": {"priority": "low"}},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["updated"] == [second.number, first.number]
    assert [(r["number"], r["priority"], r["version"]) for r in body["results"]] == [
        (second.number, "low", second.version + 1),
        (first.number, "low", first.version + 1),
    ]


def test_bulk_skips_tickets_the_changes_leave_as_they_are(supervisor_client, tenant):
    already = updated_ticket(tenant, priority="high", tags=["vip"])
    changing = make_ticket(tenant)
    history_before = history(tenant, already)

    response = post(
        supervisor_client,
        tenant,
        {
            "numbers": [already.number, changing.number],
            "changes": {"priority": "high", "tags_add": ["vip"]},
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["updated"] == [changing.number]
    assert response.json()["results"][0]["version"] == already.version
    assert history(tenant, already) == history_before
    assert history(tenant, changing) == [("priority", "medium", "high"), ("tags", [], ["vip"])]


def test_bulk_unassigns_with_null(supervisor_client, tenant, agent):
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant,
            actor=Actor(),
            subject="Help",
            customer_email="asker@example.test",
            assignee=agent.user,
        )

    response = post(
        supervisor_client, tenant, {"numbers": [ticket.number], "changes": {"assignee": None}}
    )

    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["assignee"] is None
    assert history(tenant, ticket) == [("assignee", str(agent.user.public_id), None)]


def test_bulk_deduplicates_numbers(supervisor_client, tenant):
    ticket = make_ticket(tenant)

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [ticket.number, ticket.number], "changes": {"priority": "critical"}},
    )

    assert response.status_code == 200, response.content
    assert response.json()["updated"] == [ticket.number]
    assert len(response.json()["results"]) == 1
    assert history(tenant, ticket) == [("priority", "medium", "critical")]


def test_bulk_records_the_actor_on_every_row(supervisor_client, supervisor, tenant):
    ticket = make_ticket(tenant)

    post(supervisor_client, tenant, {"numbers": [ticket.number], "changes": {"status": "pending"}})

    with tenant_context(tenant):
        labels = set(
            TicketEvent.objects.filter(ticket=ticket, field="status").values_list(
                "actor_label", "actor_user_id"
            )
        )
    assert labels == {(supervisor.user.email, supervisor.user.pk)}


def test_bulk_publishes_one_update_per_changed_ticket(supervisor_client, tenant):
    first, second = make_ticket(tenant), make_ticket(tenant)
    unchanged = make_ticket(tenant, status="pending")
    with capture("ticket.updated", "ticket.status_changed") as envelopes:
        response = post(
            supervisor_client,
            tenant,
            {
                "numbers": [first.number, second.number, unchanged.number],
                "changes": {"status": "pending"},
            },
        )

    assert response.status_code == 200, response.content
    received = [(e.type, e.data["number"]) for e in envelopes]
    assert sorted(received) == sorted(
        [
            ("ticket.updated", first.number),
            ("ticket.status_changed", first.number),
            ("ticket.updated", second.number),
            ("ticket.status_changed", second.number),
        ]
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.OWNER, 200, id="owner"),
        pytest.param(Role.ADMIN, 200, id="admin"),
        pytest.param(Role.SUPERVISOR, 200, id="supervisor"),
    ],
)
def test_supervisor_and_above_may_bulk(member, api_client, tenant, role, expected):
    ticket = make_ticket(tenant)

    response = post(
        api_client(member(role)),
        tenant,
        {"numbers": [ticket.number], "changes": {"priority": "low"}},
    )

    assert response.status_code == expected
    assert history(tenant, ticket) == [("priority", "medium", "low")]


def test_a_bulk_reads_the_sla_configuration_once_whatever_its_size(tenant):
    def sla_reads(count: int) -> int:
        numbers = [
            make_ticket(tenant, customer_email=f"c{count}-{i}@example.test").number
            for i in range(count)
        ]
        with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
            services.ticket_bulk_update(
                tenant=tenant, actor=Actor(), numbers=numbers, changes={"priority": "high"}
            )
        return sum(
            "tickets_slapolicy" in q["sql"] or "tickets_businesshours" in q["sql"] for q in queries
        )

    # Policies and calendar, once per bulk (per ticket, a 100-ticket bulk read them 200 times).
    assert sla_reads(2) == sla_reads(12) == 2
