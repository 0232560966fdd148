"""Bulk ticket changes are all or nothing: a missing, foreign, illegal or bad part fails the
whole request and changes nothing (API and service)."""

import pytest
from django.core.exceptions import ValidationError

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tickets.bulk_helpers import history, post, updated_ticket
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.exceptions import InvalidStatusTransitionError
from tickets.models import Ticket, TicketEvent


def snapshot(tenant):
    """Every ticket's changeable state and version, and the history row count."""
    with tenant_context(tenant):
        return {
            "tickets": sorted(
                Ticket.objects.values_list(
                    "number", "status", "priority", "assignee_id", "tags", "version"
                )
            ),
            "history": TicketEvent.objects.count(),
        }


# --- All or nothing -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER], ids=["agent", "viewer"])
def test_agent_and_viewer_are_403_and_nothing_changes(member, api_client, tenant, role):
    ticket = make_ticket(tenant)
    before = snapshot(tenant)

    response = post(
        api_client(member(role)),
        tenant,
        {"numbers": [ticket.number], "changes": {"priority": "low"}},
    )

    assert response.status_code == 403
    assert snapshot(tenant) == before


def test_missing_number_fails_the_whole_request_and_names_it(supervisor_client, tenant):
    first, second = make_ticket(tenant), make_ticket(tenant)
    before = snapshot(tenant)

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [first.number, 999, second.number], "changes": {"priority": "low"}},
    )

    assert response.status_code == 400
    assert field_errors(response) == {
        "numbers": ["No ticket in this tenant has the number(s) #999."]
    }
    assert snapshot(tenant) == before


def test_another_tenants_number_fails_like_a_missing_one(supervisor_client, tenant, other_tenant):
    mine = make_ticket(tenant)
    make_ticket(other_tenant)
    theirs = make_ticket(other_tenant)  # number 2 exists only over there
    before = (snapshot(tenant), snapshot(other_tenant))

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [mine.number, theirs.number], "changes": {"status": "resolved"}},
    )

    assert response.status_code == 400
    assert field_errors(response) == {
        "numbers": [f"No ticket in this tenant has the number(s) #{theirs.number}."]
    }
    assert (snapshot(tenant), snapshot(other_tenant)) == before


def test_bulk_through_another_tenants_path_is_404(supervisor_client, other_tenant):
    theirs = make_ticket(other_tenant)
    before = snapshot(other_tenant)

    response = post(
        supervisor_client,
        other_tenant,
        {"numbers": [theirs.number], "changes": {"priority": "low"}},
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert snapshot(other_tenant) == before


def test_one_illegal_transition_fails_the_whole_request(supervisor_client, tenant):
    # open -> closed is allowed; in_progress -> closed is not (DESIGN.md §6).
    first = make_ticket(tenant)
    stuck = make_ticket(tenant, status="in_progress")
    also_stuck = make_ticket(tenant, status="pending")
    before = snapshot(tenant)

    response = post(
        supervisor_client,
        tenant,
        {
            "numbers": [first.number, stuck.number, also_stuck.number],
            "changes": {"status": "closed", "priority": "high"},
        },
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_status_transition"
    assert body["extra"]["numbers"] == [stuck.number, also_stuck.number]
    assert body["extra"]["from"] == {
        str(stuck.number): "in_progress",
        str(also_stuck.number): "pending",
    }
    assert snapshot(tenant) == before


def test_a_closed_ticket_that_would_change_fails_the_whole_request(supervisor_client, tenant):
    first = make_ticket(tenant)
    closed = make_ticket(tenant, status="closed")
    before = snapshot(tenant)

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [first.number, closed.number], "changes": {"tags_add": ["x"]}},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
    assert response.json()["extra"] == {"numbers": [closed.number]}
    assert snapshot(tenant) == before


def test_a_closed_ticket_the_changes_leave_alone_does_not_fail(supervisor_client, tenant):
    first = make_ticket(tenant)
    closed = make_ticket(tenant, status="closed")
    closed_history = history(tenant, closed)

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [first.number, closed.number], "changes": {"status": "closed"}},
    )

    assert response.status_code == 200, response.content
    assert response.json()["updated"] == [first.number]
    assert history(tenant, closed) == closed_history


def test_too_many_tags_after_adding_fails_the_whole_request(supervisor_client, tenant):
    full = updated_ticket(tenant, tags=[f"t{i}" for i in range(19)])
    roomy = make_ticket(tenant)
    before = snapshot(tenant)

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [roomy.number, full.number], "changes": {"tags_add": ["a", "b"]}},
    )

    assert response.status_code == 400
    assert field_errors(response) == {
        "tags_add": [f"Tickets #{full.number} would have more than 20 tags."]
    }
    assert snapshot(tenant) == before


@pytest.mark.parametrize(
    "assignee",
    ["viewer", "other-tenant-agent", "inactive-agent"],
    ids=["viewer", "other-tenant-agent", "inactive-agent"],
)
def test_assignee_must_be_an_active_agent_of_this_tenant(
    supervisor_client, member, tenant, other_tenant, assignee
):
    users = {
        "viewer": lambda: member(Role.VIEWER).user,
        "other-tenant-agent": lambda: member(Role.AGENT, tenant=other_tenant).user,
        "inactive-agent": lambda: member(Role.AGENT, is_active=False).user,
    }
    user = users[assignee]()
    ticket = make_ticket(tenant)
    before = snapshot(tenant)

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [ticket.number], "changes": {"assignee": str(user.public_id)}},
    )

    assert response.status_code == 400
    assert "assignee" in field_errors(response)["changes"]
    assert snapshot(tenant) == before


def _numbers(count):
    return list(range(1, count + 1))


LOW = {"priority": "low"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"numbers": _numbers(101), "changes": LOW}, "numbers", id="101-numbers"),
        pytest.param({"numbers": [], "changes": LOW}, "numbers", id="no-numbers"),
        pytest.param({"numbers": ["one"], "changes": LOW}, "numbers", id="not-a-number"),
        pytest.param({"numbers": [0], "changes": LOW}, "numbers", id="zero"),
        pytest.param({"numbers": [10**19], "changes": LOW}, "numbers", id="too-big"),
        pytest.param({"numbers": 1, "changes": LOW}, "numbers", id="not-a-list"),
        pytest.param({"changes": LOW}, "numbers", id="numbers-missing"),
        pytest.param({"numbers": [1]}, "changes", id="changes-missing"),
        pytest.param({"numbers": [1], "changes": LOW, "tenant": 2}, "tenant", id="tenant-field"),
    ],
)
def test_bad_request_shape_is_400_with_the_field_and_changes_nothing(
    supervisor_client, tenant, body, field
):
    make_ticket(tenant)
    before = snapshot(tenant)

    response = post(supervisor_client, tenant, body)

    assert response.status_code == 400
    assert field_errors(response)[field]
    assert snapshot(tenant) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({}, "non_field_errors", id="no-changes"),
        pytest.param("low", "non_field_errors", id="not-an-object"),
        pytest.param({"subject": "x"}, "subject", id="unknown-change"),
        pytest.param({"status": "done"}, "status", id="bad-status"),
        pytest.param({"priority": "asap"}, "priority", id="bad-priority"),
        pytest.param({"assignee": "nobody"}, "assignee", id="bad-assignee"),
        pytest.param({"tags_add": ["Not A Slug!"]}, "tags_add", id="bad-tag"),
        pytest.param({"tags_add": "vip"}, "tags_add", id="tags-not-a-list"),
        pytest.param({"tags_remove": [1, {}]}, "tags_remove", id="tags-not-strings"),
        pytest.param({"tags_add": ["a"], "tags_remove": ["a"]}, "tags_remove", id="add-and-remove"),
    ],
)
def test_bad_changes_are_400_with_the_field_and_change_nothing(
    supervisor_client, tenant, changes, field
):
    ticket = make_ticket(tenant)
    before = snapshot(tenant)

    response = post(supervisor_client, tenant, {"numbers": [ticket.number], "changes": changes})

    assert response.status_code == 400
    assert field_errors(response)["changes"][field]
    assert snapshot(tenant) == before


def test_one_hundred_numbers_are_accepted(supervisor_client, tenant):
    with tenant_context(tenant):
        customer = services.customer_create(tenant=tenant, actor=Actor(), email="a@example.test")
        tickets = [
            services.ticket_create(tenant=tenant, actor=Actor(), subject="s", requester=customer)
            for _ in range(100)
        ]

    response = post(
        supervisor_client,
        tenant,
        {"numbers": [t.number for t in tickets], "changes": {"priority": "low"}},
    )

    assert response.status_code == 200, response.content
    assert len(response.json()["updated"]) == 100


# --- Service --------------------------------------------------------------------------------------


def test_service_rolls_back_every_ticket_when_one_move_is_illegal(tenant):
    fine, stuck = make_ticket(tenant), make_ticket(tenant, status="resolved")
    before = snapshot(tenant)

    with tenant_context(tenant), pytest.raises(InvalidStatusTransitionError) as error:
        services.ticket_bulk_update(
            tenant=tenant,
            actor=Actor(),
            numbers=[fine.number, stuck.number],
            changes={"status": "pending"},
        )

    assert error.value.extra["numbers"] == [stuck.number]
    assert snapshot(tenant) == before


def test_service_refuses_more_than_one_hundred_tickets(tenant):
    with tenant_context(tenant), pytest.raises(ValidationError) as error:
        services.ticket_bulk_update(
            tenant=tenant, actor=Actor(), numbers=_numbers(101), changes={"priority": "low"}
        )

    assert "numbers" in error.value.message_dict
