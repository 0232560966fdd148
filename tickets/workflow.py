"""The ticket status machine (DESIGN.md §6): the allowed moves and what each move stamps.

Every status change goes through here — a PATCH, a bulk change, a merge, and (with the SLA
work) the pause rules and escalation — so the rules exist once.
"""

from datetime import datetime

from tickets import sla
from tickets.exceptions import InvalidStatusTransitionError
from tickets.models import Status, Ticket

# The allowed moves between statuses (closed is final: a reply opens a follow-up ticket).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.PENDING, Status.RESOLVED, Status.OPEN}),
    Status.PENDING: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# Statuses whose SLA clocks stand still (waiting on the customer).
SLA_PAUSED = frozenset({Status.PENDING})


def can_move(old: str, new: str) -> bool:
    """Whether a ticket may go from status `old` to `new`."""
    return new in TRANSITIONS[old]


def is_final(status: str) -> bool:
    """Whether nothing about a ticket in this status may change any more."""
    return status == Status.CLOSED


def move_check(ticket: Ticket, new_status: str) -> None:
    """Raise InvalidStatusTransitionError unless the ticket may move to `new_status`."""
    old = ticket.status
    if not can_move(old, new_status):
        raise InvalidStatusTransitionError(
            **{"from": old}, to=new_status, allowed=sorted(TRANSITIONS[old])
        )


def _stamp(ticket: Ticket, old: str, new: str, now: datetime) -> None:
    ticket.status = new
    if new == Status.RESOLVED:
        ticket.resolved_at = now
    elif new == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif old == Status.RESOLVED:  # reopened
        ticket.resolved_at = None
    ticket.sla_paused = new in SLA_PAUSED
    sla.pauses_update(ticket, old, new, now)


def move(ticket: Ticket, new_status: str, *, now: datetime) -> None:
    """Move the (locked, unsaved) ticket to `new_status` and stamp what the move sets:
    resolved_at, closed_at, the SLA pause. Raises InvalidStatusTransitionError."""
    move_check(ticket, new_status)
    _stamp(ticket, ticket.status, new_status, now)


def close_for_merge(ticket: Ticket, *, now: datetime) -> None:
    """Close a ticket merged into another. Merging is its own transition: it closes the
    source from any status but closed (the merge service refuses a closed source)."""
    _stamp(ticket, ticket.status, Status.CLOSED, now)
