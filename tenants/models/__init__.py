"""Users, tenants, memberships, invitations, API keys (global control tables) and the tenancy
base model, one module per area; import them from here.

Control tables (User, Tenant, Membership, Invitation, ApiKey, knox tokens) are global:
authentication, tenant resolution and accepting an invitation (looked up by its token) read them
before any tenant is known. Everything a tenant owns inherits
TenantModel: `tenant_id NOT NULL`, a fail-closed default manager, `UNIQUE (tenant_id, id)` and
the RLS policy.
"""

from tenants.models.accounts import User, UserManager
from tenants.models.base import TenantManager, TenantModel, TenantQuerySet, historical_reference
from tenants.models.records import AuditLogEntry, IdempotencyRecord
from tenants.models.tenants import (
    API_KEY_ROLES,
    ASSIGNMENT_STRATEGIES,
    INVITATION_TTL,
    ROLE_RANK,
    SEARCH_LANGUAGES,
    TENANT_SETTINGS_DEFAULTS,
    ApiKey,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    Tenant,
    assignment_strategy_register,
)

__all__ = [
    "API_KEY_ROLES",
    "ASSIGNMENT_STRATEGIES",
    "INVITATION_TTL",
    "ROLE_RANK",
    "SEARCH_LANGUAGES",
    "TENANT_SETTINGS_DEFAULTS",
    "ApiKey",
    "AuditLogEntry",
    "IdempotencyRecord",
    "Invitation",
    "InvitationStatus",
    "Membership",
    "Role",
    "Tenant",
    "TenantManager",
    "TenantModel",
    "TenantQuerySet",
    "User",
    "UserManager",
    "assignment_strategy_register",
    "historical_reference",
]
