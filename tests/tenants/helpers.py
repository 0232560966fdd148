from tenants.context import tenant_context
from tenants.models import AuditLogEntry


def audit_log_rows(tenant, action: str, *, fields: tuple[str, ...]) -> list[dict]:
    """The tenant's audit entries for `action`, oldest first, as dicts of `fields`."""
    with tenant_context(tenant):
        return list(
            AuditLogEntry.objects.filter(action=action).order_by("created_at").values(*fields)
        )
