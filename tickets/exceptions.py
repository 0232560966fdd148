"""Domain errors of the tickets app."""

from config.errors import ConflictError, DomainError, NotFoundError


class InvalidStatusTransitionError(ConflictError):
    code = "invalid_status_transition"


class TicketClosedError(ConflictError):
    code = "ticket_closed"


class CustomerHasTicketsError(ConflictError):
    code = "customer_has_tickets"


class ExportNotReadyError(ConflictError):
    code = "export_not_ready"


class ExportFailedError(ConflictError):
    code = "export_failed"


class ExportFileMissingError(NotFoundError):
    code = "export_file_missing"


class ExportFiltersInvalidError(DomainError):
    code = "export_filters_invalid"


class TicketAlreadyMergedError(ConflictError):
    code = "ticket_already_merged"


class MergeTargetClosedError(ConflictError):
    code = "merge_target_closed"


class CustomerErasedError(ConflictError):
    code = "customer_erased"


class TicketBusyError(ConflictError):
    """A write that must not wait (it would risk a deadlock) found a ticket locked."""

    code = "ticket_busy"
