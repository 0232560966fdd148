"""Driving the tenant admin in tests (tests/tenants/test_admin_*.py): its URLs, the POST data of
the membership change form, the messages a response left, the audit actions written, and a
request as the admin site sees it (a user acting for a tenant in a role)."""

from django.contrib.messages import get_messages
from django.test import RequestFactory

from tenants.models import AuditLogEntry

ADMIN = "/admin/"
LOGIN = "/admin/login/"
ACTING = "/admin/acting-tenant/"
MEMBERS = "/admin/tenants/membership/"
API_KEYS = "/admin/tenants/apikey/"
AUDIT = "/admin/tenants/auditlogentry/"
USERS = "/admin/tenants/user/"
TENANTS = "/admin/tenants/tenant/"
AUTOCOMPLETE = "/admin/autocomplete/"
SESSION_KEY = "acting_tenant_id"


def admin_key(obj) -> str:
    """What the admin's URLs name an object by: a ticket its number, platform rows (users,
    tenants) their database id, every other tenant row its public id."""
    if hasattr(obj, "number"):
        return str(obj.number)
    if type(obj).__name__ in ("User", "Tenant"):
        return str(obj.pk)
    return str(obj.public_id)


def change_url(base: str, obj) -> str:
    return f"{base}{admin_key(obj)}/change/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def audit_actions(tenant, in_tenant, **filters) -> list[str]:
    with in_tenant(tenant):
        return list(AuditLogEntry.objects.filter(**filters).values_list("action", flat=True))


def member_form(membership, **overrides):
    """POST data of the membership change form (checkboxes are sent only when checked)."""
    data = {"role": membership.role, "_save": "Save"}
    if membership.is_senior:
        data["is_senior"] = "on"
    if membership.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def admin_request(user, tenant, role):
    request = RequestFactory().get(ADMIN)
    request.user = user
    request.acting_tenant, request.acting_role = tenant, role
    return request
