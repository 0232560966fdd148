"""The SLA sweep with time travel: breaches are stored once and published once, each breach
escalates once (priority up one level, critical stays), tickets waiting unassigned too long
escalate once, and supervisors hear of it through notifications."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from notifications.models import EmailDelivery
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.events import published
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket, TicketEvent
from tickets.services.sla import sla_sweep
from tickets.tasks import sla_sweep_task, sla_sweep_tenant_task

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _ticket(tenant, **fields):
    with time_machine.travel(T0, tick=False):
        return make_ticket(tenant, **fields)


def _sweep(tenant, hours):
    with time_machine.travel(_at(hours), tick=False), tenant_context(tenant):
        return sla_sweep(tenant=tenant)


def _stored(tenant, ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize(
    ("priority", "status", "hours", "breached", "priority_after", "level"),
    [
        pytest.param("critical", "open", 2, ["first_response"], "critical", 1, id="critical-2h"),
        pytest.param("medium", "open", 2, [], "medium", 0, id="medium-2h-fine"),
        pytest.param("critical", "pending", 5, [], "critical", 0, id="pending-stopped"),
        pytest.param("critical", "open", 5, ["first_response", "resolution"], "critical", 1,
                     id="critical-5h-both-one-escalation"),
        # high: first response due at 4 h; as critical its resolution (4 h) is past due too
        pytest.param("high", "open", 5, ["first_response", "resolution"], "critical", 1,
                     id="high-5h"),
        pytest.param("high", "open", 3.5, [], "high", 0, id="high-3.5h-fine"),
        # low: first response due at 72 h; as medium its resolution (72 h) is past due too
        pytest.param("low", "in_progress", 80, ["first_response", "resolution"], "medium", 1,
                     id="low-80h"),
    ],
)  # fmt: skip
def test_breaches_by_priority_and_elapsed_time(
    tenant, member, priority, status, hours, breached, priority_after, level
):
    agent = member(Role.AGENT)  # assigned: only the SLA rules act here
    ticket = _ticket(tenant, priority=priority, status=status, assignee=agent.user)

    with published("ticket.sla_breached") as seen:
        result = _sweep(tenant, hours)

    stored = _stored(tenant, ticket)
    assert sorted(e.data["target"] for e in seen) == sorted(breached)
    assert result.breached == len(breached)
    assert stored.sla_breached is bool(breached)
    assert stored.priority == priority_after
    assert stored.escalation_level == level


def test_a_first_response_in_time_meets_the_target(tenant, member):
    agent = member(Role.AGENT)
    ticket = _ticket(tenant, priority="critical", status="in_progress", assignee=agent.user)
    with time_machine.travel(_at(0.5), tick=False), tenant_context(tenant):
        services.comment_create(
            tenant=tenant,
            actor=Actor(user=agent.user, role=Role.AGENT),
            ticket=ticket,
            body="On it",
        )

    result = _sweep(tenant, 2)

    assert result.breached == 0
    assert _stored(tenant, ticket).first_response_breached_at is None


def test_a_breach_is_stored_published_and_escalated_once(tenant):
    ticket = _ticket(tenant, priority="high")

    with published("ticket.sla_breached", "ticket.escalated") as seen:
        _sweep(tenant, 4.5)
        _sweep(tenant, 4.6)
        _sweep(tenant, 5)

    stored = _stored(tenant, ticket)
    # The first response missed; escalated to critical, its resolution (4 h) is past due too:
    # recorded, not escalated again. Later sweeps add nothing.
    assert [(e.type, e.data.get("target")) for e in seen] == [
        ("ticket.sla_breached", "first_response"),
        ("ticket.escalated", None),
        ("ticket.sla_breached", "resolution"),
    ]
    assert seen[0].data["due_at"] == "2026-12-01T13:00:00Z"
    assert seen[1].data == {
        "number": ticket.number,
        "priority": "critical",
        "escalation_level": 1,
        "reason": "sla_breached",
        "version": stored.version,
    }
    # One sweep, one change: its events all name the version it produced.
    assert {e.data["version"] for e in seen} == {stored.version}
    assert seen[1].actor == {"type": "system", "id": None}
    assert (stored.priority, stored.escalated, stored.escalation_level) == ("critical", True, 1)
    assert stored.first_response_breached_at == _at(4.5)


def test_the_escalation_is_in_the_history_by_the_system(tenant):
    ticket = _ticket(tenant, priority="medium", status="in_progress")

    _sweep(tenant, 25)

    with tenant_context(tenant):
        rows = list(
            TicketEvent.objects.filter(ticket=ticket)
            .exclude(field__in=["ticket", "status"])
            .order_by("pk")
            .values_list("actor_label", "field", "old_value", "new_value")
        )
    assert rows == [
        ("system", "first_response_breached_at", None, "2026-12-02T09:00:00+00:00"),
        ("system", "priority", "medium", "high"),
        ("system", "escalated", False, True),
        ("system", "escalation_level", 0, 1),
        # as high, its resolution was due after 24 h: past due at 25 h
        ("system", "resolution_breached_at", None, "2026-12-02T09:00:00+00:00"),
    ]


def test_supervisors_are_told(tenant, member, django_capture_on_commit_callbacks, mailoutbox):
    supervisor = member(Role.SUPERVISOR)
    _ticket(tenant, priority="critical")

    with django_capture_on_commit_callbacks(execute=True):
        _sweep(tenant, 2)

    with tenant_context(tenant):
        kinds = set(
            EmailDelivery.objects.filter(recipient=supervisor.user.email).values_list(
                "kind", flat=True
            )
        )
    assert kinds == {"sla_breached", "ticket_escalated"}


@pytest.mark.parametrize(
    ("status", "assigned", "hours", "escalates"),
    [
        pytest.param("open", False, 50, True, id="open-unassigned-over-48h"),
        pytest.param("open", False, 47, False, id="not-yet"),
        pytest.param("open", True, 50, False, id="assigned"),
        pytest.param("pending", False, 50, False, id="pending"),
    ],
)
def test_unassigned_open_tickets_escalate_after_the_threshold(
    tenant, member, status, assigned, hours, escalates
):
    agent = member(Role.AGENT)
    # low: its first response is due after 72 h, so only the unassigned rule acts here
    ticket = _ticket(
        tenant, priority="low", status=status, assignee=agent.user if assigned else None
    )

    with published("ticket.escalated") as seen:
        _sweep(tenant, hours)
        _sweep(tenant, hours + 0.5)

    stored = _stored(tenant, ticket)
    assert [e.data["reason"] for e in seen] == (["unassigned"] if escalates else [])
    assert stored.priority == ("medium" if escalates else "low")


def test_the_threshold_is_the_tenants(tenant):
    tenant.settings = {"unassigned_escalation_hours": 4}
    tenant.save(update_fields=["settings"])
    ticket = _ticket(tenant, priority="low")

    _sweep(tenant, 5)

    assert _stored(tenant, ticket).unassigned_escalated_at == _at(5)


def test_another_tenants_tickets_are_not_touched(tenant, other_tenant):
    theirs = _ticket(other_tenant, priority="critical")

    _sweep(tenant, 5)

    assert _stored(other_tenant, theirs).sla_breached is False


def test_the_beat_task_fans_out_over_active_tenants(tenant, other_tenant, monkeypatch):
    other_tenant.is_active = False
    other_tenant.save(update_fields=["is_active"])
    fanned = []
    monkeypatch.setattr(sla_sweep_tenant_task, "delay", lambda **kwargs: fanned.append(kwargs))

    assert sla_sweep_task() == 1
    assert fanned == [{"tenant_id": tenant.pk}]


def test_the_tenant_task_runs_the_sweep(tenant):
    _ticket(tenant, priority="critical")

    with time_machine.travel(_at(2), tick=False):
        result = sla_sweep_tenant_task.delay(tenant_id=tenant.pk).get()

    assert result == {"breached": 1, "escalated": 1}


def test_a_ticket_merged_before_its_first_response_never_breaches(tenant):
    source = _ticket(tenant, priority="high")
    target = _ticket(tenant, priority="high", customer_email="other@example.test")
    with time_machine.travel(_at(1), tick=False), tenant_context(tenant):
        services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)
    merged = _stored(tenant, source)
    assert (merged.status, merged.first_response_due_at) == ("closed", None)

    with published("ticket.sla_breached", "ticket.escalated") as seen:
        _sweep(tenant, 30)

    assert [e.data["number"] for e in seen if e.data["number"] == source.number] == []
    after = _stored(tenant, source)
    assert (after.escalation_level, after.priority, after.sla_breached) == (0, "high", False)


def test_a_closed_ticket_with_a_stale_first_response_due_time_is_not_swept(tenant):
    ticket = _ticket(tenant, priority="critical", status="closed")
    with tenant_context(tenant):  # a row from before merges stopped the clock
        Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=_at(1))

    _sweep(tenant, 5)

    assert _stored(tenant, ticket).first_response_breached_at is None
