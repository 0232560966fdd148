"""Domain errors of the tickets app."""

from config.errors import ConflictError


class InvalidStatusTransitionError(ConflictError):
    code = "invalid_status_transition"


class TicketClosedError(ConflictError):
    code = "ticket_closed"


class CustomerHasTicketsError(ConflictError):
    code = "customer_has_tickets"
