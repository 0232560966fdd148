"""Domain errors of the tickets app."""

from config.errors import ConflictError, DomainError, NotFoundError


class InvalidStatusTransitionError(ConflictError):
    code = "invalid_status_transition"
    message = "A ticket cannot go from {from} to {to}."


class TicketClosedError(ConflictError):
    code = "ticket_closed"
    message = "A closed ticket cannot change; open a follow-up ticket."


class CustomerHasTicketsError(ConflictError):
    code = "customer_has_tickets"
    message = "This customer has tickets; erase their personal data instead."


class ExportNotReadyError(ConflictError):
    code = "export_not_ready"
    message = "The export is not ready yet."


class ExportFailedError(ConflictError):
    code = "export_failed"
    message = "The export failed."


class ExportFileMissingError(NotFoundError):
    code = "export_file_missing"
    message = "The export file is no longer available."


class ExportFiltersInvalidError(DomainError):
    code = "export_filters_invalid"
    message = "The stored filters are no longer valid."


class TicketAlreadyMergedError(ConflictError):
    code = "ticket_already_merged"
    message = "Ticket #{number} was already merged into #{merged_into}."


class MergeTargetClosedError(ConflictError):
    code = "merge_target_closed"
    message = "Ticket #{into} is closed and cannot take a merge."


class CustomerErasedError(ConflictError):
    code = "customer_erased"
    message = "This customer's personal data has been erased; the customer can no longer change."


class TicketBusyError(ConflictError):
    """A write that must not wait (it would risk a deadlock) found a ticket locked."""

    code = "ticket_busy"
    message = "The ticket is being changed by another request; retry."
