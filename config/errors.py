"""Domain errors: services raise these; one exception handler maps them to responses."""

from typing import Any


class DomainError(Exception):
    """A business-rule failure with a stable machine-readable code."""

    status_code = 400
    code = "invalid"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "permission_denied"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"


class PreconditionFailedError(DomainError):
    """If-Match named a version that is no longer current."""

    status_code = 412
    code = "precondition_failed"
