"""Writes of the tickets app, one module per area; import services from here."""

from tickets.services.core import (
    ASSIGNMENT_STRATEGIES,
    TICKET_FIELDS,
    assignable,
    comment_create,
    customer_create,
    customer_delete,
    customer_find_or_create,
    customer_update,
    ticket_assign,
    ticket_create,
    ticket_delete,
    ticket_update,
)

__all__ = [
    "ASSIGNMENT_STRATEGIES",
    "TICKET_FIELDS",
    "assignable",
    "comment_create",
    "customer_create",
    "customer_delete",
    "customer_find_or_create",
    "customer_update",
    "ticket_assign",
    "ticket_create",
    "ticket_delete",
    "ticket_update",
]
