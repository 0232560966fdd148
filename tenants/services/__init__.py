"""Writes of the tenants app, one module per area; import services from here."""

from tenants.services.accounts import (
    auth_login,
    auth_token_create,
    auth_token_purge_expired,
    auth_token_revoke,
    auth_token_revoke_all,
    password_reset_confirm,
    password_reset_request,
    user_email_verify,
    user_password_change,
    user_register,
)
from tenants.services.api_keys import (
    API_KEY_PREFIX,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    api_key_revoke_created_by,
)
from tenants.services.audit import audit_log_record
from tenants.services.invitations import (
    invitation_accept,
    invitation_accept_new_account,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    invitation_token_issue,
)
from tenants.services.members import (
    member_add,
    member_availability_set,
    member_remove,
    member_update,
)
from tenants.services.tenants import tenant_create, tenant_delete, tenant_update

__all__ = [
    "API_KEY_PREFIX",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "api_key_revoke_created_by",
    "audit_log_record",
    "auth_login",
    "auth_token_create",
    "auth_token_purge_expired",
    "auth_token_revoke",
    "auth_token_revoke_all",
    "invitation_accept",
    "invitation_accept_new_account",
    "invitation_create",
    "invitation_resend",
    "invitation_revoke",
    "invitation_token_issue",
    "member_add",
    "member_availability_set",
    "member_remove",
    "member_update",
    "password_reset_confirm",
    "password_reset_request",
    "tenant_create",
    "tenant_delete",
    "tenant_update",
    "user_email_verify",
    "user_password_change",
    "user_register",
]
