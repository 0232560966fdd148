"""The role policy: which tenant role may do what. One table, read by one permission class.

Tests keep their own literal copy of what each role may do; they never import this table.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission

from tenants.models import ROLE_RANK, Role

# capability -> the least role that has it (DESIGN.md §4; roles are strictly ordered).
POLICY: dict[str, str] = {
    "tenant.read": Role.VIEWER,
    "member.read": Role.VIEWER,
    "audit.read": Role.SUPERVISOR,
    "tenant.update": Role.ADMIN,
    "member.manage": Role.ADMIN,
    "api_key.manage": Role.ADMIN,
    "tenant.delete": Role.OWNER,
    "owner.manage": Role.OWNER,
}


def has_capability(role: str | None, capability: str) -> bool:
    """Return whether `role` grants `capability` (unknown capabilities grant nothing)."""
    least = POLICY.get(capability)
    if role is None or least is None:
        return False
    return ROLE_RANK[role] >= ROLE_RANK[least]


def required_capability(view, request) -> str:
    """Return the capability a tenant view needs for this request.

    Views declare `required_permission` (one capability) or `permission_map` keyed by
    viewset action or HTTP method.
    """
    permission_map = getattr(view, "permission_map", None)
    key = getattr(view, "action", None) or request.method.lower()
    if permission_map:
        capability = permission_map.get(key) or permission_map.get(request.method.lower())
    else:
        capability = getattr(view, "required_permission", None)
    if capability is None or capability not in POLICY:
        raise ImproperlyConfigured(f"{type(view).__name__} declares no capability for {key!r}")
    return capability


class HasTenantCapability(BasePermission):
    """Allow the request when the caller's role in the tenant has the view's capability."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        access = getattr(request, "access", None)
        if access is None:
            return False
        return has_capability(access.role, required_capability(view, request))
