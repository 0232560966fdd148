"""The SLA clocks of a ticket (DESIGN.md §6): first response and resolution targets by
priority, counted on the tenant's business calendar, stopped while the ticket waits on the
customer (`pending`) or is resolved, resumed when it moves on.

The clock is a timeline on the ticket: it started at `created_at`, `sla_pauses` lists every
stop ([stopped_at, resumed_at or null], ISO 8601), and a first response or a resolution meets
its target. Due times are always recomputed from that timeline (tickets.sla_calendar.due_at),
so a change of priority or of the policy gives the same answer however often it is replayed.
"""

from datetime import datetime

from tickets.models import Priority, Status, Ticket
from tickets.sla_calendar import BusinessCalendar, Pause, always_open, due_at, remaining_minutes

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


def sla_refresh(ticket: Ticket, *, calendar: BusinessCalendar | None = None) -> None:
    """Recompute the ticket's due times from its timeline (unsaved). A met target keeps the due
    time it was met against; a stopped clock has no due time until it resumes."""
    calendar = calendar or always_open()
    pauses = _pauses(ticket)
    if ticket.first_response_at is None:
        ticket.first_response_due_at = due_at(
            calendar,
            started=ticket.created_at,
            target_minutes=DEFAULT_TARGETS["first_response"][ticket.priority],
            pauses=pauses,
        )
    if ticket.status not in FINISHED:
        ticket.resolution_due_at = due_at(
            calendar,
            started=ticket.created_at,
            target_minutes=DEFAULT_TARGETS["resolution"][ticket.priority],
            pauses=pauses,
        )


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
                    target_minutes=DEFAULT_TARGETS[target][ticket.priority],
                    pauses=pauses,
                    now=now,
                ),
                1,
            )
        )
    return left
