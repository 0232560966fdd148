""" "Never twice" for SLA escalation, with real threads: sweeps running at the same moment
(two beat ticks overlapping, a retried task) escalate each breach once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tenants.context import tenant_context
from tests.concurrency import race
from tests.tickets.helpers import make_ticket
from tickets.models import Ticket, TicketEvent
from tickets.services.sla import sla_sweep

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _sweep(tenant):
    with tenant_context(tenant):
        return sla_sweep(tenant=tenant)


def test_concurrent_sweeps_escalate_each_breach_once(tenant):
    with time_machine.travel(T0, tick=False):
        tickets = [make_ticket(tenant, priority="high") for _ in range(6)]

    with time_machine.travel(T0 + timedelta(hours=4, minutes=30), tick=False):
        results = race(*[lambda: _sweep(tenant)] * 3)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.escalated for r in results) == len(tickets)
    with tenant_context(tenant):
        levels = set(Ticket.objects.values_list("escalation_level", flat=True))
        escalation_rows = TicketEvent.objects.filter(field="escalation_level").count()
    assert levels == {1}
    assert escalation_rows == len(tickets)
