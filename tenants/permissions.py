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
    "ticket.read": Role.VIEWER,
    "customer.read": Role.VIEWER,
    "ticket.write": Role.AGENT,  # create/update/assign/comment
    "customer.write": Role.AGENT,
    "ticket.bulk": Role.SUPERVISOR,
    "ticket.merge": Role.SUPERVISOR,
    "ticket.export": Role.SUPERVISOR,
    "ticket.delete": Role.ADMIN,
    "customer.delete": Role.ADMIN,
    "customer.gdpr": Role.ADMIN,  # export everything held, erase
    "audit.read": Role.SUPERVISOR,
    "report.read": Role.SUPERVISOR,  # ticket reports (figures over every ticket and agent)
    "ticket.escalations": Role.SUPERVISOR,  # is notified of SLA breaches and escalations
    "member.availability": Role.SUPERVISOR,  # another member's (anyone may set their own)
    "kb.read": Role.VIEWER,  # knowledge-base categories, articles (drafts too), revisions
    "kb.write": Role.AGENT,  # create and edit articles (a published one keeps a revision)
    "kb.publish": Role.SUPERVISOR,  # publish, archive, restore a revision; categories
    "kb.delete": Role.ADMIN,  # delete articles
    "sla.read": Role.VIEWER,  # SLA policies and business hours
    "sla.manage": Role.ADMIN,
    "notification.read": Role.VIEWER,  # one's own in-app notifications and preferences
    "notification.deliveries": Role.SUPERVISOR,  # the tenant's email delivery log
    "admin.access": Role.SUPERVISOR,  # the Django admin, scoped to one tenant
    "tenant.update": Role.ADMIN,
    "member.manage": Role.ADMIN,
    "api_key.manage": Role.ADMIN,
    "inbound.manage": Role.ADMIN,  # the inbound-email secret (integrations, like API keys)
    "webhook.manage": Role.ADMIN,  # webhook endpoints, their secrets and delivery log
    "crm.manage": Role.ADMIN,  # the CRM connection, its credentials and sync log
    "tenant.delete": Role.OWNER,
    "owner.manage": Role.OWNER,
}


def has_capability(role: str | None, capability: str) -> bool:
    """Return whether `role` grants `capability` (unknown capabilities grant nothing)."""
    least = POLICY.get(capability)
    if role is None or least is None:
        return False
    return ROLE_RANK[role] >= ROLE_RANK[least]


def roles_with(capability: str) -> list[str]:
    """Return the roles that grant `capability` (for queries: `role__in=roles_with(...)`)."""
    return [role for role in Role.values if has_capability(role, capability)]


# OPTIONS describes a route (DRF lists only the methods the caller may use): any member may ask.
DESCRIBE_CAPABILITY = "tenant.read"


def required_capability(view, request) -> str:
    """Return the capability a tenant view needs for this request.

    Views declare `required_permission` (one capability) or `permission_map` keyed by
    viewset action or HTTP method; an action serving several methods maps to
    {method: capability}. HEAD needs what GET needs; OPTIONS needs membership only.
    """
    method = request.method.lower()
    if method == "options":
        return DESCRIBE_CAPABILITY
    if method == "head":
        method = "get"
    permission_map = getattr(view, "permission_map", None)
    # The action this method runs (a clone of the request made by DRF to check another
    # method keeps the original `action`), else the method itself.
    key = getattr(view, "action_map", {}).get(method) or getattr(view, "action", None) or method
    if permission_map:
        capability = permission_map.get(key, permission_map.get(method))
        if isinstance(capability, dict):
            capability = capability.get(method)
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
        if not hasattr(view, request.method.lower()):
            return True  # no handler: DRF answers 405 next, nothing runs
        return has_capability(access.role, required_capability(view, request))
