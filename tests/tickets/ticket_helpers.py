"""What the ticket-rule tests (test_ticket_status_flow/_assignment/_urgency/_history/_events.py)
share: the ticket they make and a snapshot of its state."""

from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Ticket, TicketEvent

# The subject and requester of the tickets made here (a no-op PATCH below sends the subject).
PRINTER = {"subject": "Printer on fire", "customer_email": "a@example.test"}


def _updated_ticket(tenant, actor, **fields) -> Ticket:
    """make_ticket, then `fields` changed by ticket_update."""
    # Not make_ticket(**fields), which sets them at creation: these tests count history rows
    # and versions, and the setup's changes leave theirs (one row per field, version + 1).
    ticket = make_ticket(tenant, actor=actor, **PRINTER)
    return services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, **fields)


def _state(ticket: Ticket) -> dict:
    ticket.refresh_from_db()
    return {
        "status": ticket.status,
        "version": ticket.version,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "sla_paused": ticket.sla_paused,
        "events": TicketEvent.objects.filter(ticket=ticket).count(),
    }
