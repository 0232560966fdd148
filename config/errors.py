"""Domain errors: services raise these; one exception handler maps them to responses.

An error class owns its message (Zulip's `JsonableError`): `message` is a format string over
the keyword data the raiser passes, and that data also travels in the body's `extra`, so a
caller raises `TicketClosedError(number=7)` and every surface says the same thing. A raiser
with something more specific to say may still pass `detail`.
"""

from typing import Any, ClassVar


class DomainError(Exception):
    """A business-rule failure with a stable machine-readable code."""

    status_code = 400
    code = "invalid"
    message: ClassVar[str] = "The request breaks a rule of this resource."

    def __init__(
        self, detail: str | None = None, *, extra: dict[str, Any] | None = None, **data: Any
    ):
        if detail is None:
            detail = self.message.format(**data)
        super().__init__(detail)
        self.detail = detail
        self.extra = {**data, **(extra or {})}


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "permission_denied"
    message = "You do not have permission to perform this action."


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"
    message = "The resource is in a state that does not allow this."


class PreconditionFailedError(DomainError):
    """If-Match named a version that is no longer current."""

    status_code = 412
    code = "precondition_failed"
    message = "The resource changed since you read it."
