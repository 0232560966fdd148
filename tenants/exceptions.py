"""Domain errors of the tenants app."""

from config.errors import ConflictError, PermissionDeniedError


class OwnerRequiredError(PermissionDeniedError):
    code = "owner_required"


class LastOwnerError(ConflictError):
    code = "last_owner"


class ApiKeyRevokedError(ConflictError):
    code = "api_key_revoked"
