"""The append-only audit trail."""

from typing import Any

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Tenant


def audit_log_record(
    *,
    tenant: Tenant,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append one audit entry for `tenant` (enters the tenant context if needed)."""
    with tenant_context(tenant):
        return AuditLogEntry.objects.create(
            tenant=tenant,
            actor_user=actor.user,
            actor_api_key=actor.api_key,
            actor_label=actor.label,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            target_label=target_label[:254],
            before=before,
            after=after,
            ip_address=actor.ip,
            request_id=actor.request_id or "",
        )
