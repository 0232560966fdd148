"""The SLA clocks on real tickets (DESIGN.md §6 targets, 24/7 until a tenant sets business
hours), with time travel: due times at creation, recomputed on a priority change, stopped
while pending or resolved and resumed after, frozen once met."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket
from tickets.sla import sla_remaining

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _update(tenant, ticket, **changes):
    with tenant_context(tenant):
        return services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, **changes)


def _stored(tenant, ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [
        ("critical", 60, 4 * 60),
        ("high", 4 * 60, 24 * 60),
        ("medium", 24 * 60, 72 * 60),
        ("low", 72 * 60, 168 * 60),
    ],
)
def test_due_times_at_creation_follow_the_priority(tenant, priority, first_response, resolution):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(tenant, priority=priority)

    stored = _stored(tenant, ticket)
    assert stored.first_response_due_at == _at(first_response)
    assert stored.resolution_due_at == _at(resolution)
    assert (stored.sla_paused, stored.sla_pauses) == (False, [])


def test_a_priority_change_recomputes_from_creation_not_from_now(tenant):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(tenant, priority="medium")
    with time_machine.travel(_at(30), tick=False):
        ticket = _update(tenant, ticket, priority="critical")

    stored = _stored(tenant, ticket)
    assert (stored.first_response_due_at, stored.resolution_due_at) == (_at(60), _at(240))


def test_pending_stops_both_clocks_and_reopening_resumes_them(tenant):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(tenant, priority="critical")
    with time_machine.travel(_at(20), tick=False):
        ticket = _update(tenant, ticket, status="pending")
    paused = _stored(tenant, ticket)
    with time_machine.travel(_at(20 + 120), tick=False):
        ticket = _update(tenant, ticket, status="open")

    resumed = _stored(tenant, ticket)
    assert (paused.sla_paused, paused.first_response_due_at, paused.resolution_due_at) == (
        True,
        None,
        None,
    )
    # 2 hours waiting on the customer moved both due times by 2 hours.
    assert (resumed.first_response_due_at, resumed.resolution_due_at) == (_at(180), _at(360))
    assert resumed.sla_paused is False
    assert resumed.sla_pauses == [[_at(20).isoformat(), _at(140).isoformat()]]


def test_a_first_response_freezes_its_due_time(tenant, member):
    agent = member(Role.AGENT)
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(tenant, priority="critical")
    with time_machine.travel(_at(10), tick=False), tenant_context(tenant):
        services.comment_create(
            tenant=tenant, actor=Actor(user=agent.user, role=Role.AGENT), ticket=ticket, body="Hi"
        )
    with time_machine.travel(_at(20), tick=False):
        ticket = _update(tenant, _stored(tenant, ticket), priority="low")

    stored = _stored(tenant, ticket)
    assert stored.first_response_at == _at(10)
    assert stored.first_response_due_at == _at(60)  # met against the target of its time
    assert stored.resolution_due_at == _at(168 * 60)  # still running: the new priority counts


def test_resolving_freezes_the_resolution_due_time_and_a_reopen_resumes_it(tenant):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(tenant, priority="high")
    with time_machine.travel(_at(60), tick=False):
        ticket = _update(tenant, ticket, status="resolved")
    resolved = _stored(tenant, ticket)
    with time_machine.travel(_at(60 + 600), tick=False):
        ticket = _update(tenant, ticket, status="open")

    reopened = _stored(tenant, ticket)
    assert resolved.resolution_due_at == _at(24 * 60)
    assert reopened.resolution_due_at == _at(24 * 60 + 600)


def test_a_merge_closes_the_source_clock(tenant, member):
    admin = member(Role.ADMIN)
    with time_machine.travel(T0, tick=False):
        source, target = make_ticket(tenant), make_ticket(tenant)
    with time_machine.travel(_at(5), tick=False), tenant_context(tenant):
        services.ticket_merge(
            tenant=tenant,
            actor=Actor(user=admin.user, role=Role.ADMIN),
            ticket=source,
            into=target,
        )

    assert _stored(tenant, source).sla_pauses == [[_at(5).isoformat(), None]]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, (60.0, 240.0)), (45, (15.0, 195.0)), (90, (-30.0, 150.0))],
)
def test_remaining_minutes_count_down_and_go_negative(tenant, minutes, expected):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(tenant, priority="critical")

    left = sla_remaining(_stored(tenant, ticket), now=_at(minutes))

    assert (left["first_response"], left["resolution"]) == expected


# --- Filters ------------------------------------------------------------------------------------


@pytest.fixture
def sla_world(tenant, member):
    """At T0 + 3 h: a critical ticket past its first response (unswept), a high one due at
    T0 + 4 h (in the hour: at risk), a medium one far off, a resolved one in time (met), a
    breached one, and a pending one (clock stopped)."""
    agent = member(Role.AGENT)
    with time_machine.travel(T0, tick=False):
        made = {
            "overdue": make_ticket(tenant, priority="critical", assignee=agent.user),
            "soon": make_ticket(tenant, priority="high", assignee=agent.user),
            "far": make_ticket(tenant, priority="medium", assignee=agent.user),
            "met": make_ticket(tenant, priority="low", status="resolved"),
            "waiting": make_ticket(tenant, priority="critical", status="pending"),
        }
        made["breached"] = make_ticket(tenant, priority="low", assignee=agent.user)
    with tenant_context(tenant):
        Ticket.objects.filter(pk=made["breached"].pk).update(sla_breached=True)
    return {ticket.number: name for name, ticket in made.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sla_state=at_risk", {"overdue", "soon"}),
        ("sla_state=breached", {"breached"}),
        ("sla_state=met", {"met"}),
        ("due_before=2026-12-01T13:30:00Z", {"overdue", "soon"}),
        ("due_before=2026-12-01T09:30:00Z", set()),
        ("due_before=2026-12-05T00:00:00Z", {"overdue", "soon", "far", "breached"}),
    ],
)
def test_sla_filters(tenant, member, api_client, sla_world, query, expected):
    client = api_client(member(Role.VIEWER))

    with time_machine.travel(_at(180), tick=False):
        response = client.get(f"/api/v1/t/{tenant.slug}/tickets/?{query}&page_size=100")

    assert response.status_code == 200, response.content
    assert {sla_world[row["number"]] for row in response.json()["results"]} == expected


@pytest.mark.parametrize("query", ["sla_state=late", "due_before=tomorrow"])
def test_bad_sla_filters_are_a_400(tenant, member, api_client, query):
    response = api_client(member(Role.VIEWER)).get(f"/api/v1/t/{tenant.slug}/tickets/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_the_sla_object_shows_the_clock(tenant, member, api_client):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(tenant, priority="critical")

    with time_machine.travel(_at(90), tick=False):
        body = (
            api_client(member(Role.VIEWER))
            .get(f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/")
            .json()
        )

    assert body["sla"] == {
        "first_response_due_at": "2026-12-01T10:00:00Z",
        "resolution_due_at": "2026-12-01T13:00:00Z",
        "first_response_remaining_minutes": -30.0,
        "resolution_remaining_minutes": 150.0,
        "first_response_target_minutes": 60,
        "resolution_target_minutes": 240,
        "breached": False,
        "paused": False,
        "timeline": [{"event": "started", "at": "2026-12-01T09:00:00Z"}],
    }
