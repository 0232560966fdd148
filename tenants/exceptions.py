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


class ApiKeyCreatorRequiredError(PermissionDeniedError):
    """Every API key traces to a person who may manage keys in the tenant right now."""

    code = "api_key_creator_required"


class InvitationNotPendingError(ConflictError):
    code = "invitation_not_pending"


class InvitationEmailMismatchError(PermissionDeniedError):
    """A logged-in user tried to accept an invitation addressed to someone else."""

    code = "invitation_email_mismatch"


class AccountExistsError(ConflictError):
    """An anonymous accept for an address that already has an account: log in instead."""

    code = "account_exists"


class AlreadyMemberError(ConflictError):
    code = "already_member"


class EmailNotVerifiedError(PermissionDeniedError):
    """The password was right, but the address was never proven (no bearer token yet)."""

    code = "email_not_verified"
