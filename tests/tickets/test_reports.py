"""reports/summary/ against hand-computed figures: medians and p90 (percentile_cont,
interpolated), business time on a calendar, buckets in the tenant's timezone, agents,
reopens, SLA attainment, the backlog, bad input, other tenants, and a fixed query count."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tenants.recipes import tenant_recipe
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket
from tickets.reports import report_summary
from tickets.services import sla_settings

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
WINDOW = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
WEEKDAYS_9_TO_5 = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)]


def _at(minutes: float, start: datetime = T0) -> datetime:
    return start + timedelta(minutes=minutes)


def _ticket(tenant, at: datetime, **fields) -> Ticket:
    with time_machine.travel(at, tick=False):
        return make_ticket(tenant, **fields)


def _reply(tenant, ticket, at: datetime) -> None:
    with time_machine.travel(at, tick=False), tenant_context(tenant):
        services.comment_create(tenant=tenant, actor=Actor(), ticket=ticket, body="On it")


def _move(tenant, ticket, status: str, at: datetime) -> Ticket:
    with time_machine.travel(at, tick=False), tenant_context(tenant):
        return services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status=status)


def _stored(tenant, ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


def _report(tenant, group_by=None, window=WINDOW):
    with tenant_context(tenant):
        return report_summary(tenant=tenant, start=window[0], end=window[1], group_by=group_by)


def _business_hours(tenant, zone="UTC"):
    with tenant_context(tenant):
        sla_settings.business_hours_update(
            tenant=tenant, actor=Actor(), timezone=zone, intervals=WEEKDAYS_9_TO_5, holidays=[]
        )


# --- Medians and p90 ---------------------------------------------------------------------------


def test_medians_and_p90_are_interpolated_over_the_window(tenant):
    # given: five tickets answered after 10, 20, 30, 40, 50 minutes and resolved after
    # 60, 120, 180, 240, 600 (24/7: business minutes are wall-clock minutes)
    pairs = zip([10, 20, 30, 40, 50], [60, 120, 180, 240, 600], strict=True)
    for i, (answer, resolve) in enumerate(pairs):
        opened = _at(i * 1000)
        ticket = _ticket(tenant, opened)
        _reply(tenant, ticket, _at(answer, opened))
        _move(tenant, ticket, "resolved", _at(resolve, opened))

    # when
    totals = _report(tenant).totals

    # then: p90 = value at rank 0.9 * 4 = 3.6 → 40 + 0.6 * (50 - 40); 240 + 0.6 * (600 - 240)
    assert (totals.created, totals.resolved) == (5, 5)
    fr, res = totals.first_response, totals.resolution
    assert (fr.count, fr.median, fr.p90) == (5, 30.0, 46.0)
    assert (res.count, res.median, res.p90) == (5, 180.0, 456.0)


def test_an_empty_window_has_no_medians(tenant):
    totals = _report(tenant).totals

    assert (totals.created, totals.first_response.median, totals.resolution.p90) == (0, None, None)
    assert (totals.first_response_sla.rate, totals.reopens.rate) == (None, None)


# --- Business time --------------------------------------------------------------------------------


def test_business_minutes_count_only_open_hours(tenant):
    _business_hours(tenant)
    friday_16 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    ticket = _ticket(tenant, friday_16)

    _reply(tenant, ticket, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))  # Monday 10:00

    assert _stored(tenant, ticket).first_response_business_minutes == 120.0
    fr = _report(tenant).totals.first_response
    assert (fr.count, fr.median, fr.p90) == (1, 120.0, 120.0)


def test_business_hours_follow_the_calendars_timezone(tenant):
    _business_hours(tenant, zone="Europe/Berlin")  # 09-17 Berlin = 08-16 UTC in December
    ticket = _ticket(tenant, datetime(2026, 12, 4, 15, 0, tzinfo=UTC))  # Fri 16:00 Berlin

    _reply(tenant, ticket, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))  # Mon 10:00 Berlin

    assert _stored(tenant, ticket).first_response_business_minutes == 120.0


def test_time_pending_is_not_counted_like_the_sla_clock(tenant):
    ticket = _ticket(tenant, T0)
    ticket = _move(tenant, ticket, "pending", _at(60))
    ticket = _move(tenant, ticket, "open", _at(60 + 180))  # three hours waiting on the customer

    _move(tenant, ticket, "resolved", _at(300))

    assert _stored(tenant, ticket).resolution_business_minutes == 120.0
    assert _report(tenant).totals.resolution.median == 120.0


def test_a_reopened_ticket_loses_its_resolution_and_resumes_the_clock(tenant):
    ticket = _ticket(tenant, T0)
    ticket = _move(tenant, ticket, "resolved", _at(30))
    ticket = _move(tenant, ticket, "open", _at(90))  # resolved for an hour: clock stopped
    assert _stored(tenant, ticket).resolution_business_minutes is None

    _move(tenant, ticket, "resolved", _at(120))

    assert _stored(tenant, ticket).resolution_business_minutes == 60.0


def test_bulk_resolutions_and_merges_store_their_minutes(tenant):
    bulk = _ticket(tenant, T0)
    source, target = _ticket(tenant, T0), _ticket(tenant, T0)
    with time_machine.travel(_at(40), tick=False), tenant_context(tenant):
        services.ticket_bulk_update(
            tenant=tenant, actor=Actor(), numbers=[bulk.number], changes={"status": "resolved"}
        )
    with time_machine.travel(_at(50), tick=False), tenant_context(tenant):
        services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)

    assert _stored(tenant, bulk).resolution_business_minutes == 40.0
    assert _stored(tenant, source).resolution_business_minutes == 50.0
    assert _stored(tenant, target).resolution_business_minutes is None


def test_a_resolution_from_pending_counts_against_its_target(tenant):
    # Pending has no due time (the clock stands still); the target is what is measured.
    ticket = _ticket(tenant, T0, priority="critical")  # resolution within 240 minutes
    ticket = _move(tenant, ticket, "pending", _at(100))
    _move(tenant, ticket, "resolved", _at(1000))

    critical = next(row for row in _report(tenant).sla if row.priority == "critical")

    assert _stored(tenant, ticket).resolution_business_minutes == 100.0
    assert (critical.resolution.eligible, critical.resolution.met) == (1, 1)


def test_backfill_fills_tickets_from_before_the_columns(tenant):
    ticket = _ticket(tenant, T0)
    _reply(tenant, ticket, _at(45))
    _move(tenant, ticket, "closed", _at(100))
    with tenant_context(tenant):
        # A row as it was before the columns existed (no service writes this state).
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_business_minutes=None, resolution_business_minutes=None
        )

    call_command("report_backfill", "--tenant", tenant.slug, stdout=None)
    call_command("report_backfill", "--tenant", tenant.slug, stdout=None)  # nothing left

    stored = _stored(tenant, ticket)
    assert (stored.first_response_business_minutes, stored.resolution_business_minutes) == (
        45.0,
        100.0,
    )


# --- Groups ---------------------------------------------------------------------------------------


def test_days_are_the_tenants_local_days():
    tenant = tenant_recipe.make(slug="berlin", timezone="Europe/Berlin")
    _ticket(tenant, datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # 00:30 on Dec 2 in Berlin
    _ticket(tenant, datetime(2026, 12, 1, 22, 30, tzinfo=UTC))  # 23:30 on Dec 1 in Berlin
    window = (datetime(2026, 11, 30, 23, 0, tzinfo=UTC), datetime(2026, 12, 3, 23, 0, tzinfo=UTC))

    report = _report(tenant, "day", window)

    assert [(g.key, g.figures.created) for g in report.groups] == [
        ("2026-12-01", 1),
        ("2026-12-02", 1),
        ("2026-12-03", 0),
    ]


def test_weeks_start_on_monday_and_carry_the_backlog(tenant):
    _ticket(tenant, datetime(2026, 11, 20, 9, tzinfo=UTC))  # before the window: backlog
    a = _ticket(tenant, datetime(2026, 12, 1, 9, tzinfo=UTC))  # week of Nov 30
    _ticket(tenant, datetime(2026, 12, 8, 9, tzinfo=UTC))  # week of Dec 7
    _move(tenant, a, "resolved", datetime(2026, 12, 9, 9, tzinfo=UTC))
    window = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC))

    report = _report(tenant, "week", window)

    assert [
        (g.key, g.figures.created, g.figures.resolved, g.figures.backlog) for g in report.groups
    ] == [("2026-11-30", 1, 0, 2), ("2026-12-07", 1, 1, 2)]
    assert report.totals.backlog == 2


def test_agents_are_grouped_with_their_load(tenant, member):
    ann = member(Role.AGENT, user_fields={"name": "Ann", "email": "ann@example.test"})
    bob = member(Role.AGENT, user_fields={"name": "Bob", "email": "bob@example.test"})
    _ticket(tenant, T0, assignee=ann.user)
    _ticket(tenant, _at(1), assignee=ann.user, status="pending")
    done = _ticket(tenant, _at(2), assignee=bob.user)
    _move(tenant, done, "resolved", _at(62))
    _ticket(tenant, _at(3))  # unassigned

    report = _report(tenant, "agent")

    assert [(g.key, g.label, g.figures.created, g.figures.backlog) for g in report.groups] == [
        (str(ann.user.public_id), "Ann", 2, 2),
        (str(bob.user.public_id), "Bob", 1, 0),
        (None, "Unassigned", 1, 1),
    ]
    assert report.groups[1].figures.resolution.median == 60.0
    assert [(a.agent.email, a.open, a.resolved) for a in report.agents] == [
        ("ann@example.test", 2, 0),
        ("bob@example.test", 0, 1),
    ]


def test_priority_and_channel_groups_list_every_value(tenant):
    _ticket(tenant, T0, priority="high", channel="email")

    by_priority = _report(tenant, "priority").groups
    by_channel = _report(tenant, "channel").groups

    assert [(g.key, g.figures.created) for g in by_priority] == [
        ("critical", 0),
        ("high", 1),
        ("medium", 0),
        ("low", 0),
    ]
    assert {g.key: g.figures.created for g in by_channel} == {
        "api": 0,
        "email": 1,
        "web": 0,
        "phone": 0,
    }


# --- Reopens, SLA attainment, backlog -------------------------------------------------------------


def test_reopen_rate_counts_tickets_resolved_then_reopened(tenant):
    kept = _ticket(tenant, T0)
    reopened = _ticket(tenant, T0)
    _move(tenant, kept, "resolved", _at(10))
    reopened = _move(tenant, reopened, "resolved", _at(10))
    reopened = _move(tenant, reopened, "open", _at(20))
    _move(tenant, reopened, "resolved", _at(30))  # resolved again: still a reopen

    reopens = _report(tenant).totals.reopens

    assert (reopens.resolved, reopens.reopened, reopens.rate) == (2, 1, 0.5)


def test_sla_attainment_per_priority(tenant):
    # critical: first response within 60 minutes, resolution within 240
    met = _ticket(tenant, T0, priority="critical")
    missed = _ticket(tenant, T0, priority="critical")
    _reply(tenant, met, _at(30))
    _reply(tenant, missed, _at(90))
    _move(tenant, met, "resolved", _at(240))  # exactly on target: met
    _move(tenant, missed, "resolved", _at(241))
    _reply(tenant, _ticket(tenant, T0, priority="low"), _at(60))

    report = _report(tenant)

    critical = next(row for row in report.sla if row.priority == "critical")
    low = next(row for row in report.sla if row.priority == "low")
    assert (critical.first_response.eligible, critical.first_response.met) == (2, 1)
    assert (critical.resolution.eligible, critical.resolution.met, critical.resolution.rate) == (
        2,
        1,
        0.5,
    )
    assert (low.first_response.rate, low.resolution.rate) == (1.0, None)
    assert (report.totals.first_response_sla.eligible, report.totals.first_response_sla.met) == (
        3,
        2,
    )


def test_tickets_without_a_stored_target_are_not_eligible(tenant):
    ticket = _ticket(tenant, T0)
    _reply(tenant, ticket, _at(5))
    with tenant_context(tenant):
        # A ticket from before targets were stored (no service writes this state).
        Ticket.objects.filter(pk=ticket.pk).update(first_response_target_minutes=None)

    totals = _report(tenant).totals

    assert (totals.first_response.count, totals.first_response_sla.eligible) == (1, 0)
    assert totals.first_response_sla.rate is None


def test_backlog_is_what_was_unresolved_at_the_end_of_the_window(tenant):
    end = datetime(2026, 12, 10, tzinfo=UTC)
    _ticket(tenant, T0)  # open
    resolved_after = _ticket(tenant, T0)
    _move(tenant, resolved_after, "resolved", end + timedelta(hours=1))
    resolved_before = _ticket(tenant, T0)
    _move(tenant, resolved_before, "resolved", end - timedelta(hours=1))
    _ticket(tenant, end + timedelta(hours=2))  # created after the window

    totals = _report(tenant, window=(WINDOW[0], end)).totals

    assert (totals.created, totals.resolved, totals.backlog) == (3, 1, 2)


def test_another_tenants_tickets_never_count(tenant, other_tenant):
    ticket = _ticket(other_tenant, T0)
    _reply(other_tenant, ticket, _at(5))
    _move(other_tenant, ticket, "resolved", _at(10))

    report = _report(tenant, "agent")

    assert (report.totals.created, report.totals.resolved, report.totals.backlog) == (0, 0, 0)
    assert (report.groups, report.agents) == ([], [])
    assert _report(other_tenant).totals.created == 1


# --- Query count ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tickets", [1, 6])
@pytest.mark.parametrize("group_by", [None, "day", "week", "agent", "priority", "channel"])
def test_the_report_runs_three_statements_whatever_the_data(
    tenant, member, group_by, tickets, django_assert_num_queries
):
    # JIT off for the transaction, the figures, the agents' load.
    agent = member(Role.AGENT)
    for i in range(tickets):
        ticket = _ticket(tenant, _at(i * 60), assignee=agent.user if i % 2 else None)
        _reply(tenant, ticket, _at(i * 60 + 5))
        _move(tenant, ticket, "resolved", _at(i * 60 + 30))

    with tenant_context(tenant), django_assert_num_queries(3):
        report_summary(tenant=tenant, start=WINDOW[0], end=WINDOW[1], group_by=group_by)


# --- The API --------------------------------------------------------------------------------------


def _url(tenant, query: str = "") -> str:
    return f"/api/v1/t/{tenant.slug}/reports/summary/{query}"


def test_the_api_answers_with_the_figures_and_window(tenant, sup_client):
    _ticket(tenant, T0, priority="high")

    response = sup_client.get(_url(tenant, "?from=2026-12-01&to=2026-12-01&group_by=priority"))

    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["group_by"]) == (
        "2026-12-01T00:00:00Z",
        "2026-12-02T00:00:00Z",
        "priority",
    )
    assert body["totals"]["created"] == 1
    assert [g["created"] for g in body["groups"]] == [0, 1, 0, 0]
    assert [row["priority"] for row in body["sla"]] == ["critical", "high", "medium", "low"]


def test_the_api_defaults_to_the_last_30_days(tenant, sup_client):
    with time_machine.travel(T0, tick=False):
        body = sup_client.get(_url(tenant)).json()

    assert (body["from"], body["to"]) == ("2026-11-01T09:00:00Z", "2026-12-01T09:00:00Z")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=yesterday", "from"),
        ("?to=2026-13-01", "to"),
        ("?from=2026-12-02&to=2026-12-01", "to"),
        ("?from=2026-12-01T10:00:00Z&to=2026-12-01T10:00:00Z", "to"),
        ("?from=2025-01-01&to=2026-12-01", "to"),
        ("?to=9999-12-31", "to"),
        ("?from=0001-01-01T00:00:00%2B05:00&to=0001-01-02", "from"),
        ("?group_by=month", "group_by"),
        ("?from=2026-12-01%00", "from"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(tenant, sup_client, query, field):
    response = sup_client.get(_url(tenant, query))

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_agent_cannot_read_reports(tenant, api_client, agent):
    assert api_client(agent).get(_url(tenant)).status_code == 403
