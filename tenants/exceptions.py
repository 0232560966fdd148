"""Domain errors of the tenants app."""

from config.errors import ConflictError, DomainError, PermissionDeniedError


class OwnerRequiredError(PermissionDeniedError):
    code = "owner_required"
    message = "Only owners can grant the owner role."


class LastOwnerError(ConflictError):
    code = "last_owner"
    message = "The tenant's last owner cannot leave or be demoted."


class ApiKeyRevokedError(ConflictError):
    code = "api_key_revoked"
    message = "This API key is already revoked."


class NotAUserError(PermissionDeniedError):
    """An API key asked for something only a person can have (a profile, a new tenant)."""

    code = "not_a_user"


class InvalidLoginError(DomainError):
    code = "invalid_login"
    message = "Unable to log in with these credentials."


class ApiKeyCreatorRequiredError(PermissionDeniedError):
    """Every API key traces to a person who may manage keys in the tenant right now."""

    code = "api_key_creator_required"


class InvitationNotPendingError(ConflictError):
    code = "invitation_not_pending"


class InvitationEmailMismatchError(PermissionDeniedError):
    """A logged-in user tried to accept an invitation addressed to someone else."""

    code = "invitation_email_mismatch"
    message = "This invitation was sent to another email address; log in with that account."


class AccountExistsError(ConflictError):
    """An anonymous accept for an address that already has an account: log in instead."""

    code = "account_exists"
    message = "An account with this email address exists: log in, then accept the invitation."


class AlreadyMemberError(ConflictError):
    code = "already_member"
    message = "You are already a member of this tenant."


class EmailNotVerifiedError(PermissionDeniedError):
    """The password was right, but the address was never proven (no bearer token yet)."""

    code = "email_not_verified"
    message = (
        "Confirm your email address first: follow the link in the email we sent you "
        "(or reset your password, which confirms it too)."
    )
