"""Automatic assignment: round-robin is even, least-loaded picks the fewest open and in
progress, critical tickets go to available senior agents first, and only available active
agents (and above) are candidates."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(member):
    return [member(Role.AGENT) for _ in range(3)]


def _assign(tenant, ticket, strategy):
    with tenant_context(tenant):
        return services.ticket_assign(
            tenant=tenant, actor=Actor(), ticket=ticket, strategy=strategy
        )


def _counts(tenant, users):
    with tenant_context(tenant):
        return sorted(
            Ticket.objects.filter(assignee__in=users).values_list("assignee_id", flat=True)
        )


def test_round_robin_is_even_and_in_turn(tenant, agents):
    tickets = [make_ticket(tenant) for _ in range(9)]

    picked = [_assign(tenant, t, "round_robin").assignee_id for t in tickets]

    ids = [m.user_id for m in agents]
    assert picked == ids * 3  # in user order, around and around


def test_least_loaded_picks_who_has_fewest_open_and_in_progress(tenant, agents):
    busy, calm, idle = (m.user for m in agents)
    for user, n in ((busy, 3), (calm, 1)):
        for _ in range(n):
            make_ticket(tenant, assignee=user, status="in_progress")
    make_ticket(tenant, assignee=idle, status="resolved")  # finished work does not count

    ticket = _assign(tenant, make_ticket(tenant), "least_loaded")

    assert ticket.assignee_id == idle.pk


def test_least_loaded_spreads_a_batch(tenant, agents):
    for _ in range(6):
        _assign(tenant, make_ticket(tenant), "least_loaded")

    users = [m.user for m in agents]
    assert _counts(tenant, users) == sorted([m.user_id for m in agents] * 2)


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_critical_tickets_go_to_seniors_first(tenant, member, agents, strategy):
    senior = member(Role.AGENT, is_senior=True)

    critical = [
        _assign(tenant, make_ticket(tenant, priority="critical"), strategy) for _ in range(2)
    ]
    normal = _assign(tenant, make_ticket(tenant, priority="high"), strategy)

    assert {t.assignee_id for t in critical} == {senior.user_id}
    assert normal.assignee_id in {m.user_id for m in [*agents, senior]}


def test_without_an_available_senior_critical_falls_back_to_everyone(tenant, member, agents):
    member(Role.AGENT, is_senior=True, is_available=False)

    ticket = _assign(tenant, make_ticket(tenant, priority="critical"), "round_robin")

    assert ticket.assignee_id in {m.user_id for m in agents}


def test_only_available_active_agents_and_above_are_candidates(tenant, member):
    member(Role.VIEWER)
    member(Role.AGENT, is_available=False)
    member(Role.AGENT, is_active=False)
    gone = member(Role.AGENT)
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    supervisor = member(Role.SUPERVISOR)

    picked = {_assign(tenant, make_ticket(tenant), "round_robin").assignee_id for _ in range(3)}

    assert picked == {supervisor.user_id}


def test_no_candidate_is_a_400_that_changes_nothing(tenant, member):
    member(Role.AGENT, is_available=False)
    ticket = make_ticket(tenant)

    with pytest.raises(ValidationError) as caught:
        _assign(tenant, ticket, "round_robin")

    assert "strategy" in caught.value.message_dict
    with tenant_context(tenant):
        assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_a_closed_ticket_is_not_assigned_by_strategy(tenant, agents):
    ticket = make_ticket(tenant, status="closed")

    with pytest.raises(Exception) as caught:
        _assign(tenant, ticket, "round_robin")

    assert type(caught.value).__name__ == "TicketClosedError"


def test_assign_by_strategy_over_the_api(tenant, agents, member, api_client):
    ticket = make_ticket(tenant)
    client = api_client(member(Role.AGENT))

    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/assign/",
        {"strategy": "round_robin"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == str(agents[0].user.public_id)


def _auto(tenant, strategy="round_robin", on=True):
    tenant.settings = {"assignment_strategy": strategy, "auto_assign": on}
    tenant.save(update_fields=["settings"])


def test_auto_assignment_on_creation_takes_turns(tenant, agents):
    _auto(tenant)

    picked = [make_ticket(tenant).assignee_id for _ in range(6)]

    assert picked == [m.user_id for m in agents] * 2


@pytest.mark.parametrize(
    ("strategy", "on"), [("round_robin", False), ("manual", True)], ids=["off", "manual"]
)
def test_no_auto_assignment_when_off_or_manual(tenant, agents, strategy, on):
    _auto(tenant, strategy, on)

    assert make_ticket(tenant).assignee_id is None


def test_a_ticket_is_created_unassigned_when_no_one_is_available(tenant, member):
    member(Role.AGENT, is_available=False)
    _auto(tenant)

    with CaptureQueriesContext(connection) as queries:
        assert make_ticket(tenant).assignee_id is None
    # Nothing to undo: no savepoint rolled back (which would drop prepared statements).
    assert not [q for q in queries.captured_queries if q["sql"].startswith("ROLLBACK")]


def test_an_explicit_assignee_wins_over_auto_assignment(tenant, agents):
    _auto(tenant)

    ticket = make_ticket(tenant, assignee=agents[2].user)

    assert ticket.assignee_id == agents[2].user_id
