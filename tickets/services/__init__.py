"""Writes of the tickets app, one module per area; import services from here."""

from tickets.services.attachments import attachment_create, attachment_delete
from tickets.services.bulk import BulkUpdateResult, ticket_bulk_update
from tickets.services.comments import comment_create
from tickets.services.customers import (
    customer_create,
    customer_delete,
    customer_find_or_create,
    customer_update,
)
from tickets.services.exports import (
    ExportFailedError,
    ExportNotReadyError,
    export_job_create,
    export_job_open,
    ticket_export,
)
from tickets.services.gdpr import (
    CustomerErasedError,
    customer_ensure_not_erased,
    customer_erase,
    customer_export,
)
from tickets.services.merge import MergeResult, ticket_merge
from tickets.services.tickets import (
    ASSIGNMENT_STRATEGIES,
    TICKET_FIELDS,
    assignable,
    ticket_assign,
    ticket_create,
    ticket_delete,
    ticket_update,
)

__all__ = [
    "ASSIGNMENT_STRATEGIES",
    "TICKET_FIELDS",
    "BulkUpdateResult",
    "CustomerErasedError",
    "ExportFailedError",
    "ExportNotReadyError",
    "MergeResult",
    "assignable",
    "attachment_create",
    "attachment_delete",
    "comment_create",
    "customer_create",
    "customer_delete",
    "customer_ensure_not_erased",
    "customer_erase",
    "customer_export",
    "customer_find_or_create",
    "customer_update",
    "export_job_create",
    "export_job_open",
    "ticket_assign",
    "ticket_bulk_update",
    "ticket_create",
    "ticket_delete",
    "ticket_export",
    "ticket_merge",
    "ticket_update",
]
