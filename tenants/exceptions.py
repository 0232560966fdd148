"""Domain errors of the tenants app."""

from config.errors import ConflictError, DomainError, PermissionDeniedError


class OwnerRequiredError(PermissionDeniedError):
    code = "owner_required"


class LastOwnerError(ConflictError):
    code = "last_owner"


class ApiKeyRevokedError(ConflictError):
    code = "api_key_revoked"


class NotAUserError(PermissionDeniedError):
    """An API key asked for something only a person can have (a profile, a new tenant)."""

    code = "not_a_user"


class InvalidLoginError(DomainError):
    code = "invalid_login"


class EmailNotVerifiedError(PermissionDeniedError):
    """The password was right, but the address was never proven (no bearer token yet)."""

    code = "email_not_verified"
