"""Due times from the tenant's SLA configuration (DESIGN.md §6): priority x requester tier x
business calendar, with time travel. Expected instants are worked out by hand in the
comments (Europe/Berlin is UTC+1 in winter, UTC+2 in summer)."""

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tenants.access import Actor
from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket
from tickets.services import sla_settings

pytestmark = pytest.mark.django_db


WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
EVERY_DAY_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit callbacks of the block when it ends: the
    background recomputation a policy, calendar or tier change enqueues (eager here)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _hours(tenant, intervals, holidays=(), zone="Europe/Berlin", committed=None):
    with committed() if committed else nullcontext(), tenant_context(tenant):
        sla_settings.business_hours_update(
            tenant=tenant,
            actor=Actor(),
            timezone=zone,
            intervals=list(intervals),
            holidays=[{"date": d, "name": "Holiday"} for d in holidays],
        )


def _stored(tenant, ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


def _customer(tenant, email, tier):
    with tenant_context(tenant):
        return services.customer_create(tenant=tenant, actor=Actor(), email=email, tier=tier)


CALENDAR_CASES = [
    # Tue 16:30 local, 60 min: 30 min on Tuesday, 30 on Wednesday from 09:00 → Wed 09:30 local.
    pytest.param(
        WEEKDAYS_9_TO_5, (), _utc(2026, 12, 1, 15, 30), "critical", "first_response",
        _utc(2026, 12, 2, 8, 30), id="overnight",
    ),
    # Fri 16:00 local, 4 h: 1 h on Friday, 3 h on Monday → Mon 12:00 local.
    pytest.param(
        WEEKDAYS_9_TO_5, (), _utc(2026, 12, 4, 15, 0), "high", "first_response",
        _utc(2026, 12, 7, 11, 0), id="weekend",
    ),
    # Thu 24 Dec 16:00 local, 4 h: 1 h Thursday, Friday 25th is a holiday, 3 h on Monday 28th.
    pytest.param(
        WEEKDAYS_9_TO_5, ("2026-12-25",), _utc(2026, 12, 24, 15, 0), "high", "first_response",
        _utc(2026, 12, 28, 11, 0), id="holiday",
    ),
    # Sat 27 Mar 2027 16:30 CET, 60 min: 30 min Saturday; Sunday is the spring-forward day and
    # opens at 09:00 CEST = 07:00 UTC → 07:30 UTC (a fixed offset would say 08:30).
    pytest.param(
        EVERY_DAY_9_TO_5, (), _utc(2027, 3, 27, 15, 30), "critical", "first_response",
        _utc(2027, 3, 28, 7, 30), id="dst-spring-forward",
    ),
    # Sat 24 Oct 2026 16:30 CEST, 60 min: 30 min Saturday; Sunday falls back and opens at
    # 09:00 CET = 08:00 UTC → 08:30 UTC.
    pytest.param(
        EVERY_DAY_9_TO_5, (), _utc(2026, 10, 24, 14, 30), "critical", "first_response",
        _utc(2026, 10, 25, 8, 30), id="dst-fall-back",
    ),
    # Tue 10:00 local, resolution 4 h inside one day → 14:00 local.
    pytest.param(
        WEEKDAYS_9_TO_5, (), _utc(2026, 12, 1, 9, 0), "critical", "resolution",
        _utc(2026, 12, 1, 13, 0), id="same-day",
    ),
    # Created on Saturday (closed): the clock starts Monday 09:00 local; 24 h of business time
    # is three 8-hour days → Wed 17:00 local.
    pytest.param(
        WEEKDAYS_9_TO_5, (), _utc(2026, 12, 5, 12, 0), "medium", "first_response",
        _utc(2026, 12, 9, 16, 0), id="created-while-closed",
    ),
    # No intervals: 24/7, the zone does not matter.
    pytest.param(
        [], (), _utc(2026, 12, 5, 12, 0), "high", "first_response",
        _utc(2026, 12, 5, 16, 0), id="24-7",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("intervals", "holidays", "created", "priority", "target", "expected"), CALENDAR_CASES
)
def test_due_times_count_business_time_only(
    tenant, intervals, holidays, created, priority, target, expected
):
    _hours(tenant, intervals, holidays)
    with time_machine.travel(created, tick=False):
        ticket = make_ticket(tenant, priority=priority)

    assert getattr(_stored(tenant, ticket), f"{target}_due_at") == expected


@pytest.mark.parametrize(
    ("tier", "priority", "expected_minutes"),
    [
        ("premium", "critical", 30),  # the premium override
        ("premium", "high", 240),  # not overridden: copied from the default at creation
        ("free", "critical", 60),  # no override for free: the default policy
        ("enterprise", "low", 72 * 60),
    ],
)
def test_the_requesters_tier_picks_its_policy(tenant, tier, priority, expected_minutes):
    with tenant_context(tenant):
        sla_settings.sla_policy_create(
            tenant=tenant,
            actor=Actor(),
            tier="premium",
            first_response_minutes={"critical": 30},
        )
    requester = _customer(tenant, f"{tier}@example.test", tier)
    created = _utc(2026, 12, 1, 9, 0)
    with time_machine.travel(created, tick=False):
        ticket = make_ticket(tenant, priority=priority, requester=requester)

    stored = _stored(tenant, ticket)
    assert stored.first_response_target_minutes == expected_minutes
    assert stored.first_response_due_at == created + timedelta(minutes=expected_minutes)


def test_a_pause_on_the_calendar_resumes_with_what_was_left(tenant):
    _hours(tenant, WEEKDAYS_9_TO_5)
    # Tue 10:00 local, high (4 h); pending at 11:00 (1 h used); back on Wed 10:00 local:
    # 3 h left → Wed 13:00 local = 12:00 UTC.
    with time_machine.travel(_utc(2026, 12, 1, 9, 0), tick=False):
        ticket = make_ticket(tenant, priority="high")
    with time_machine.travel(_utc(2026, 12, 1, 10, 0), tick=False), tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="pending")
    assert _stored(tenant, ticket).first_response_due_at is None
    with time_machine.travel(_utc(2026, 12, 2, 9, 0), tick=False), tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="open")

    assert _stored(tenant, ticket).first_response_due_at == _utc(2026, 12, 2, 12, 0)


def test_a_policy_change_recomputes_running_tickets_from_their_creation(tenant, committed):
    _hours(tenant, WEEKDAYS_9_TO_5)
    with time_machine.travel(_utc(2026, 12, 1, 9, 0), tick=False):
        running = make_ticket(tenant, priority="medium")
        answered = make_ticket(tenant, priority="medium")
        resolved = make_ticket(tenant, priority="medium", status="resolved")
    with time_machine.travel(_utc(2026, 12, 1, 9, 30), tick=False), tenant_context(tenant):
        services.comment_create(
            tenant=tenant, actor=Actor(), ticket=answered, body="On it", public=True
        )
    answered_due = _stored(tenant, answered).first_response_due_at
    resolved_before = _stored(tenant, resolved)

    # At 11:00 local the default medium first-response target becomes 2 h: due 12:00 local.
    with (
        time_machine.travel(_utc(2026, 12, 1, 10, 0), tick=False),
        committed(),
        tenant_context(tenant),
    ):
        policy = sla_settings.sla_policy_default(tenant=tenant)
        sla_settings.sla_policy_update(
            tenant=tenant,
            actor=Actor(),
            policy=policy,
            first_response_minutes={"medium": 120},
            resolution_minutes={"medium": 240},
        )

    stored = _stored(tenant, running)
    assert (stored.first_response_target_minutes, stored.first_response_due_at) == (
        120,
        _utc(2026, 12, 1, 11, 0),
    )
    assert stored.resolution_due_at == _utc(2026, 12, 1, 13, 0)
    # A met first response keeps the target it was met against; a resolved ticket is left be.
    kept = _stored(tenant, answered)
    assert (kept.first_response_target_minutes, kept.first_response_due_at) == (
        24 * 60,
        answered_due,
    )
    assert kept.resolution_target_minutes == 240
    after = _stored(tenant, resolved)
    assert (after.resolution_target_minutes, after.resolution_due_at) == (
        resolved_before.resolution_target_minutes,
        resolved_before.resolution_due_at,
    )


def test_new_business_hours_recompute_running_tickets(tenant, committed):
    with time_machine.travel(_utc(2026, 12, 1, 9, 0), tick=False):
        ticket = make_ticket(tenant, priority="critical")
    assert _stored(tenant, ticket).first_response_due_at == _utc(2026, 12, 1, 10, 0)

    # Open from 10:00 local = 09:00 UTC only on Tuesdays until 09:30 UTC: 30 min today, then a
    # week later.
    _hours(tenant, [{"weekday": 1, "start": "10:00", "end": "10:30"}], committed=committed)

    assert _stored(tenant, ticket).first_response_due_at == _utc(2026, 12, 8, 9, 30)


def test_a_tier_change_recomputes_that_requesters_tickets_only(tenant, committed):
    with tenant_context(tenant):
        sla_settings.sla_policy_create(
            tenant=tenant, actor=Actor(), tier="premium", first_response_minutes={"critical": 15}
        )
    upgraded = _customer(tenant, "up@example.test", "free")
    other = _customer(tenant, "other@example.test", "free")
    with time_machine.travel(_utc(2026, 12, 1, 9, 0), tick=False):
        mine = make_ticket(tenant, priority="critical", requester=upgraded)
        theirs = make_ticket(tenant, priority="critical", requester=other)

    with committed(), tenant_context(tenant):
        services.customer_update(tenant=tenant, actor=Actor(), customer=upgraded, tier="premium")

    assert _stored(tenant, mine).first_response_due_at == _utc(2026, 12, 1, 9, 15)
    assert _stored(tenant, theirs).first_response_due_at == _utc(2026, 12, 1, 10, 0)


def test_deleting_a_tier_policy_falls_back_to_the_default(tenant, committed):
    with tenant_context(tenant):
        policy = sla_settings.sla_policy_create(
            tenant=tenant, actor=Actor(), tier="premium", first_response_minutes={"critical": 15}
        )
    vip = _customer(tenant, "vip@example.test", "premium")
    with time_machine.travel(_utc(2026, 12, 1, 9, 0), tick=False):
        ticket = make_ticket(tenant, priority="critical", requester=vip)
    assert _stored(tenant, ticket).first_response_target_minutes == 15

    with committed(), tenant_context(tenant):
        sla_settings.sla_policy_delete(tenant=tenant, actor=Actor(), policy=policy)

    assert _stored(tenant, ticket).first_response_target_minutes == 60


def test_a_calendar_closed_for_over_a_year_leaves_no_due_time_instead_of_failing(tenant):
    # Open one hour on Tuesdays, but every Tuesday of the next 60 weeks is a holiday.
    tuesdays = [(datetime(2026, 12, 1) + timedelta(weeks=w)).date().isoformat() for w in range(60)]
    _hours(tenant, [{"weekday": 1, "start": "09:00", "end": "10:00"}], tuesdays)

    with time_machine.travel(_utc(2026, 12, 1, 9, 0), tick=False):
        ticket = make_ticket(tenant, priority="critical")

    stored = _stored(tenant, ticket)
    assert (stored.first_response_target_minutes, stored.first_response_due_at) == (60, None)
