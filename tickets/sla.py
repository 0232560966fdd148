"""The SLA clocks of a ticket (DESIGN.md §6): first response and resolution targets by
priority, counted on the tenant's business calendar, stopped while the ticket waits on the
customer (`pending`) or is resolved, resumed when it moves on.

The clock is a timeline on the ticket: it started at `created_at`, `sla_pauses` lists every
stop ([stopped_at, resumed_at or null], ISO 8601), and a first response or a resolution meets
its target. Due times are always recomputed from that timeline (tickets.sla_calendar.due_at),
so a change of priority or of the policy gives the same answer however often it is replayed.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection

from tenants.context import require_tenant_id
from tickets.models import BusinessHours, Priority, SlaPolicy, Status, Ticket
from tickets.sla_calendar import (
    BusinessCalendar,
    CalendarNeverOpensError,
    OpenInterval,
    Pause,
    always_open,
    due_at,
    remaining_minutes,
)

# Targets in minutes (DESIGN.md §6 defaults; per-tenant policies override them).
DEFAULT_TARGETS: dict[str, dict[str, int]] = {
    "first_response": {
        Priority.CRITICAL: 60,
        Priority.HIGH: 4 * 60,
        Priority.MEDIUM: 24 * 60,
        Priority.LOW: 72 * 60,
    },
    "resolution": {
        Priority.CRITICAL: 4 * 60,
        Priority.HIGH: 24 * 60,
        Priority.MEDIUM: 72 * 60,
        Priority.LOW: 168 * 60,
    },
}

TARGETS = ("first_response", "resolution")
PRIORITIES = (Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW)

Targets = Mapping[str, Mapping[str, int]]  # target -> priority -> minutes


def policy_targets(policy: SlaPolicy) -> dict[str, dict[str, int]]:
    """The policy's targets as {target: {priority: minutes}}."""
    return {
        target: {str(p): getattr(policy, f"{target}_{p}") for p in PRIORITIES} for target in TARGETS
    }


def clock_minutes(value: str) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" is the midnight that ends the day)."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def business_calendar(hours: BusinessHours | None) -> BusinessCalendar:
    """The calendar a BusinessHours row describes (24/7 UTC without one)."""
    if hours is None:
        return always_open()
    return BusinessCalendar(
        timezone=hours.timezone,
        intervals=tuple(
            OpenInterval(item["weekday"], clock_minutes(item["start"]), clock_minutes(item["end"]))
            for item in hours.intervals
        ),
        holidays=frozenset(date.fromisoformat(item["date"]) for item in hours.holidays),
    )


@dataclass(frozen=True)
class SlaConfig:
    """What a tenant's due times depend on besides the ticket: the calendar and the targets
    of the default policy (key None) and of each tier's override."""

    calendar: BusinessCalendar = field(default_factory=always_open)
    policies: Mapping[str | None, Targets] = field(default_factory=dict)

    def target_minutes(self, target: str, priority: str, tier: str | None) -> int:
        policy = self.policies.get(tier) or self.policies.get(None) or DEFAULT_TARGETS
        return policy[target][priority]


def sla_calendar_load() -> BusinessCalendar:
    """The current tenant's business calendar (inside its tenant context)."""
    return business_calendar(BusinessHours.objects.first())


# The annotation tickets.selectors.ticket_list reads the calendar into, with each ticket:
# [timezone, intervals, holidays] of the tenant's BusinessHours, or None (24/7 UTC).
CALENDAR_VALUES = "business_calendar_values"
# Where a service that already read the calendar leaves it on a ticket it returns.
_CALENDAR_READ = "_sla_business_calendar"
_NOT_READ = object()


def _calendar_from_values(values: list | None) -> BusinessCalendar:
    if values is None:
        return business_calendar(None)
    timezone, intervals, holidays = values
    return business_calendar(
        BusinessHours(timezone=timezone, intervals=intervals, holidays=holidays)
    )


def sla_calendar_for(ticket: Ticket) -> BusinessCalendar:
    """The business calendar read with `ticket` (ticket_list, or the service that wrote it),
    else the current tenant's (a query)."""
    calendar = getattr(ticket, _CALENDAR_READ, None)
    if calendar is not None:
        return calendar
    values = getattr(ticket, CALENDAR_VALUES, _NOT_READ)
    return sla_calendar_load() if values is _NOT_READ else _calendar_from_values(values)


def sla_calendar_keep(ticket: Ticket, calendar: BusinessCalendar) -> None:
    """Leave the calendar a service read on the ticket it returns (sla_calendar_for)."""
    setattr(ticket, _CALENDAR_READ, calendar)


_POLICY_FIELDS = tuple(f"{target}_{p}" for target in TARGETS for p in PRIORITIES)


def sla_config_sql(tenant: str) -> str:
    """The calendar and every policy of the tenant `tenant` (an SQL expression: a placeholder,
    or the tenant column of the row another query reads), as one jsonb value
    [calendar or null, [[tier, targets...], ...]]: a scalar subquery, so it can ride with
    another statement (tickets.selectors.customer_get_for_update). The explicit tenant beside
    row-level security, as everywhere; the column names are this module's constants."""
    return (
        "SELECT jsonb_build_array("  # noqa: S608
        "(SELECT jsonb_build_array(timezone, intervals, holidays) "
        f"FROM tickets_businesshours WHERE tenant_id = {tenant}), "
        "(SELECT coalesce(jsonb_agg(jsonb_build_array(tier, "
        + ", ".join(_POLICY_FIELDS)
        + f")), '[]') FROM tickets_slapolicy WHERE tenant_id = {tenant}))"
    )


# The annotation a customer locked for a new ticket carries the SLA configuration in.
SLA_CONFIG_VALUES = "sla_config_values"
_CONFIG_SQL = sla_config_sql("%s")


def sla_config_load() -> SlaConfig:
    """The current tenant's SLA configuration (inside its tenant context): one query."""
    tenant_id = require_tenant_id()
    with connection.cursor() as cursor:
        cursor.execute(_CONFIG_SQL, [tenant_id, tenant_id])
        return sla_config_from_values(cursor.fetchone()[0])


def sla_config_for(customer) -> SlaConfig:
    """The SLA configuration read with `customer` (customer_get_for_update(with_sla_config=
    True)), else the current tenant's (a query)."""
    values = getattr(customer, SLA_CONFIG_VALUES, None)
    return sla_config_load() if values is None else sla_config_from_values(values)


def sla_config_from_values(values) -> SlaConfig:
    """An SlaConfig from the jsonb value of sla_config_sql (text, or already decoded)."""
    calendar, policies = json.loads(values) if isinstance(values, str) else values
    return SlaConfig(
        calendar=_calendar_from_values(calendar),
        policies={
            tier: policy_targets(
                SlaPolicy(tier=tier, **dict(zip(_POLICY_FIELDS, targets, strict=True)))
            )
            for tier, *targets in policies
        },
    )


# Statuses in which the clocks stand still: waiting on the customer, or done (a reopened
# ticket's clock goes on from where it stopped).
CLOCK_STOPPED = frozenset({Status.PENDING, Status.RESOLVED, Status.CLOSED})
FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})


def pauses_update(ticket: Ticket, old_status: str, new_status: str, now: datetime) -> None:
    """Record a stop or a resumption of the clock for a status move (workflow calls this)."""
    stopped_before, stopped_after = old_status in CLOCK_STOPPED, new_status in CLOCK_STOPPED
    pauses = list(ticket.sla_pauses or [])
    if stopped_after and not stopped_before:
        pauses.append([now.isoformat(), None])
    elif stopped_before and not stopped_after and pauses and pauses[-1][1] is None:
        pauses[-1] = [pauses[-1][0], now.isoformat()]
    ticket.sla_pauses = pauses


def _pauses(ticket: Ticket) -> list[Pause]:
    return [
        Pause(
            datetime.fromisoformat(stopped),
            datetime.fromisoformat(resumed) if resumed is not None else None,
        )
        for stopped, resumed in ticket.sla_pauses or []
    ]


def _due_at(calendar: BusinessCalendar, **clock) -> datetime | None:
    # A calendar closed for over a year (holidays on every open day) cannot carry a target:
    # the clock runs without a due time rather than failing the ticket's write.
    try:
        return due_at(calendar, **clock)
    except CalendarNeverOpensError:
        return None


def sla_refresh(
    ticket: Ticket, *, config: SlaConfig | None = None, tier: str | None = None
) -> None:
    """Recompute the ticket's targets and due times from its timeline, its priority, its
    requester's tier (`tier`, else read from the requester) and the tenant's SLA configuration
    (`config`, else loaded); unsaved. A met target keeps the target and due time it was met
    against; a stopped clock has no due time until it resumes. Stamps the business minutes
    of a first response or resolution made meanwhile (business_minutes_stamp)."""
    config = config or sla_config_load()
    tier = tier if tier is not None else ticket.requester.tier
    pauses = _pauses(ticket)
    business_minutes_stamp(ticket, calendar=config.calendar)
    if ticket.first_response_at is None:
        ticket.first_response_target_minutes = config.target_minutes(
            "first_response", ticket.priority, tier
        )
        ticket.first_response_due_at = _due_at(
            config.calendar,
            started=ticket.created_at,
            target_minutes=ticket.first_response_target_minutes,
            pauses=pauses,
        )
    if ticket.status not in FINISHED:
        ticket.resolution_target_minutes = config.target_minutes(
            "resolution", ticket.priority, tier
        )
        ticket.resolution_due_at = _due_at(
            config.calendar,
            started=ticket.created_at,
            target_minutes=ticket.resolution_target_minutes,
            pauses=pauses,
        )


def clock_minutes_until(ticket: Ticket, *, calendar: BusinessCalendar, until: datetime) -> float:
    """Business minutes the ticket's SLA clock ran from its creation to `until`: open time on
    `calendar`, less the clock's stops (pending, resolved before a reopening) before `until`."""
    return -remaining_minutes(
        calendar, started=ticket.created_at, target_minutes=0, pauses=_pauses(ticket), now=until
    )


def business_minutes_stamp(ticket: Ticket, *, calendar: BusinessCalendar) -> None:
    """Store (unsaved) the business minutes to the first response and to the resolution, as
    the SLA clock counts them (clock_minutes_until), once each is made; a ticket that is not
    finished (reopened) has no resolution minutes. Measured once: a later calendar change
    leaves a stored figure as it was, like the due time it was met against."""
    if ticket.first_response_at is not None and ticket.first_response_business_minutes is None:
        ticket.first_response_business_minutes = round(
            clock_minutes_until(ticket, calendar=calendar, until=ticket.first_response_at), 2
        )
    if ticket.status not in FINISHED or ticket.resolved_at is None:
        ticket.resolution_business_minutes = None
    elif ticket.resolution_business_minutes is None:
        ticket.resolution_business_minutes = round(
            clock_minutes_until(ticket, calendar=calendar, until=ticket.resolved_at), 2
        )


def _target(ticket: Ticket, target: str) -> int:
    stored = getattr(ticket, f"{target}_target_minutes")
    return stored if stored is not None else DEFAULT_TARGETS[target][ticket.priority]


def sla_remaining(
    ticket: Ticket, *, now: datetime, calendar: BusinessCalendar | None = None
) -> dict[str, float | None]:
    """Business minutes left on each running clock at `now` (negative when overdue; None for a
    met target or a finished ticket)."""
    calendar = calendar or always_open()
    pauses = _pauses(ticket)
    left: dict[str, float | None] = {}
    for target, met in (
        ("first_response", ticket.first_response_at is not None),
        ("resolution", ticket.status in FINISHED),
    ):
        left[target] = (
            None
            if met
            else round(
                remaining_minutes(
                    calendar,
                    started=ticket.created_at,
                    target_minutes=_target(ticket, target),
                    pauses=pauses,
                    now=now,
                ),
                1,
            )
        )
    return left


def sla_timeline(ticket: Ticket) -> list[dict]:
    """The ticket's SLA clock as events in time order: started, paused, resumed, and each
    target met or breached (derived from the ticket's own fields: no query)."""
    events = [{"event": "started", "at": ticket.created_at}]
    for stopped, resumed in ticket.sla_pauses or []:
        events.append({"event": "paused", "at": datetime.fromisoformat(stopped)})
        if resumed is not None:
            events.append({"event": "resumed", "at": datetime.fromisoformat(resumed)})
    for name, at in (
        ("first_response_met", ticket.first_response_at),
        ("first_response_breached", ticket.first_response_breached_at),
        ("resolution_met", ticket.resolved_at if ticket.status in FINISHED else None),
        ("resolution_breached", ticket.resolution_breached_at),
    ):
        if at is not None:
            events.append({"event": name, "at": at})
    return sorted(events, key=lambda item: item["at"])
