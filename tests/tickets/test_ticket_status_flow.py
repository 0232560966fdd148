"""Ticket status flow (DESIGN.md §6): every (from, to) pair moves, is refused, is a no-op or
meets a closed ticket; the timestamps the moves set and clear."""

import pytest

from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket
from tests.tickets.ticket_helpers import PRINTER, _state
from tickets import services
from tickets.exceptions import InvalidStatusTransitionError, TicketClosedError
from tickets.models import Ticket, TicketEvent

# --- Status transitions (DESIGN.md §6) ------------------------------------------------------------


# Every (from, to) pair, written out by hand. MOVE: allowed; REFUSED: 409
# invalid_status_transition; SAME: a no-op; FINAL: the ticket is closed, 409 ticket_closed.
MOVE, REFUSED, SAME, FINAL = "move", "refused", "same", "final"


TRANSITIONS = [
    ("open", "open", SAME),
    ("open", "in_progress", MOVE),
    ("open", "pending", MOVE),
    ("open", "resolved", MOVE),
    ("open", "closed", MOVE),
    ("in_progress", "open", MOVE),
    ("in_progress", "in_progress", SAME),
    ("in_progress", "pending", MOVE),
    ("in_progress", "resolved", MOVE),
    ("in_progress", "closed", REFUSED),
    ("pending", "open", MOVE),
    ("pending", "in_progress", MOVE),
    ("pending", "pending", SAME),
    ("pending", "resolved", MOVE),
    ("pending", "closed", REFUSED),
    ("resolved", "open", MOVE),
    ("resolved", "in_progress", REFUSED),
    ("resolved", "pending", REFUSED),
    ("resolved", "resolved", SAME),
    ("resolved", "closed", MOVE),
    ("closed", "open", FINAL),
    ("closed", "in_progress", FINAL),
    ("closed", "pending", FINAL),
    ("closed", "resolved", FINAL),
    ("closed", "closed", FINAL),
]


def transitions(outcome: str) -> list:
    return [
        pytest.param(old, new, id=f"{old}-to-{new}") for old, new, o in TRANSITIONS if o == outcome
    ]


def test_the_transition_table_covers_all_25_pairs():
    statuses = {"open", "in_progress", "pending", "resolved", "closed"}

    pairs = {(old, new) for old, new, _ in TRANSITIONS}

    assert pairs == {(a, b) for a in statuses for b in statuses}
    assert len(TRANSITIONS) == 25


@pytest.mark.parametrize(("old", "new"), transitions(MOVE))
def test_allowed_transition_moves_the_ticket_and_records_it(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status=new)

        after = _state(ticket)
        history = TicketEvent.objects.filter(ticket=ticket).latest("id")

    assert after["status"] == new
    assert after["version"] == before["version"] + 1
    assert after["events"] == before["events"] + 1
    assert (history.field, history.old_value, history.new_value) == ("status", old, new)
    assert (after["resolved_at"] is not None) == (new in ("resolved", "closed"))
    assert (after["closed_at"] is not None) == (new == "closed")
    assert after["sla_paused"] == (new == "pending")


@pytest.mark.parametrize(("old", "new"), transitions(REFUSED))
def test_disallowed_transition_is_refused_and_changes_nothing(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        with pytest.raises(InvalidStatusTransitionError) as caught:
            services.ticket_update(
                tenant=tenant, actor=actor, ticket=ticket, status=new, subject="Changed too"
            )

        after = _state(ticket)
        subject = Ticket.objects.get(pk=ticket.pk).subject

    assert caught.value.code == "invalid_status_transition"
    assert caught.value.status_code == 409
    assert caught.value.extra["from"] == old
    assert caught.value.extra["to"] == new
    assert after == before
    assert subject == "Printer on fire"


@pytest.mark.parametrize(("old", "new"), transitions(SAME))
def test_same_status_is_a_no_op(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status=new)

        after = _state(ticket)

    assert after == before


@pytest.mark.parametrize(("old", "new"), transitions(FINAL))
def test_closed_ticket_refuses_every_status(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        with pytest.raises(TicketClosedError) as caught:
            services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status=new)

        after = _state(ticket)

    assert caught.value.code == "ticket_closed"
    assert caught.value.status_code == 409
    assert after == before


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"subject": "New subject"}, id="subject"),
        pytest.param({"priority": "high"}, id="priority"),
        pytest.param({"tags": ["late"]}, id="tags"),
        pytest.param({"category": "billing"}, id="category"),
    ],
)
def test_closed_ticket_refuses_any_other_change(tenant, actor, changes):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="closed", **PRINTER)
        before = _state(ticket)

        with pytest.raises(TicketClosedError):
            services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, **changes)

        after = _state(ticket)

    assert after == before


def test_closed_ticket_refuses_comments_and_assignment(tenant, actor, agent):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="closed", **PRINTER)
        before = _state(ticket)

        with pytest.raises(TicketClosedError):
            services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="Hello?")
        with pytest.raises(TicketClosedError):
            services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, assignee=agent.user)

        after = _state(ticket)
        comments = ticket.comments.count()

    assert after == before
    assert comments == 0


def test_closed_ticket_via_api_is_409_ticket_closed(tenant, actor, agent, api_client):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="closed", **PRINTER)

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"status": "open"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"


def test_refused_transition_via_api_is_409_with_code(tenant, actor, agent, api_client):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="resolved", **PRINTER)

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"status": "pending"}, format="json"
    )
    with tenant_context(tenant):
        status = Ticket.objects.get(pk=ticket.pk).status

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_status_transition"
    assert status == "resolved"


# --- Timestamps of the status flow ----------------------------------------------------------------


def test_resolve_sets_resolved_at_and_reopen_clears_it(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="in_progress", **PRINTER)
        resolved = services.ticket_update(
            tenant=tenant, actor=actor, ticket=ticket, status="resolved"
        )
        resolved_at = resolved.resolved_at

        reopened = services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status="open")

    assert resolved_at is not None
    assert reopened.resolved_at is None
    assert reopened.closed_at is None


def test_close_after_resolve_keeps_resolved_at_and_sets_closed_at(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="resolved", **PRINTER)
        resolved_at = ticket.resolved_at

        closed = services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status="closed")

    assert closed.resolved_at == resolved_at
    assert closed.closed_at is not None
    assert closed.closed_at >= resolved_at


def test_leaving_pending_resumes_the_sla_clock(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="pending", **PRINTER)
        paused = ticket.sla_paused

        resumed = services.ticket_update(
            tenant=tenant, actor=actor, ticket=ticket, status="in_progress"
        )

    assert paused is True
    assert resumed.sla_paused is False
