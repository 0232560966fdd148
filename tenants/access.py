"""Who is acting, and with what role in which tenant."""

from dataclasses import dataclass

from tenants.models import ApiKey, Membership, Tenant, User


@dataclass(frozen=True)
class TenantAccess:
    """The caller's standing in the tenant of the current request."""

    tenant: Tenant
    role: str
    membership: Membership | None = None
    api_key: ApiKey | None = None
    # The query that found this access also applied the tenant's database settings
    # (tenant_access_resolve(apply_context=True)): enter tenant_context(..., applied=True).
    context_applied: bool = False


@dataclass(frozen=True)
class Actor:
    """The principal behind a write, as the audit log records it."""

    user: User | None = None
    api_key: ApiKey | None = None
    role: str | None = None
    ip: str | None = None
    request_id: str = ""
    # A connected system writing on the tenant's behalf (a CRM connection's id): its changes
    # are not echoed back to it.
    integration: str | None = None

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.email
        if self.api_key is not None:
            return f"api-key:{self.api_key.name} ({self.api_key.prefix})"
        if self.integration is not None:
            return f"integration:{self.integration}"
        return "system"


SYSTEM = Actor()
