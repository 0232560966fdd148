"""The tenants app's routes under /api/v1/t/<slug>/, one row per (url name, method): the
permission matrix (tests/test_permission_matrix.py) and the isolation matrix
(tests/test_isolation.py) read them. Format: tests/route_table.py.

The expected statuses are written by hand from DESIGN.md §4, never derived from
tenants.permissions. A new tenants route gets its rows here (HEAD and OPTIONS too).

World names the paths and bodies use: member (an agent's Membership), invitation (pending),
api_key.
"""

from tests.route_table import Endpoint
from tests.tenants.recipes import user_recipe


def _invitation_attack(world):
    # A fresh address each time: the isolation matrix sends it more than once.
    return {"role": "admin", "email": user_recipe.make().email}


tenant_detail = Endpoint(
    "tenant-detail", "", body={"name": "Renamed"}, attack_body={"name": "Hijacked"}
)
# The registry of event types: no tenant data, only the mount.
event_type_list = Endpoint("event-type-list", "event-types/")
member_list = Endpoint("member-list", "members/")
member_detail = Endpoint(
    "member-detail",
    "members/{member.public_id}/",
    body={"role": "viewer"},
    attack_body={"role": "owner"},
)
member_availability = Endpoint(
    "member-availability",
    "members/{member.public_id}/availability/",
    body={"is_available": False},
    attack_body={"is_available": False},
)
invitation_list = Endpoint(
    "invitation-list",
    "invitations/",
    body={"email": "newcomer@example.test", "role": "agent"},
    attack_body=_invitation_attack,
)
invitation_detail = Endpoint("invitation-detail", "invitations/{invitation.public_id}/")
invitation_resend = Endpoint("invitation-resend", "invitations/{invitation.public_id}/resend/")
api_key_list = Endpoint(
    "api-key-list",
    "api-keys/",
    body={"name": "ci", "role": "agent"},
    attack_body={"name": "stolen", "role": "admin"},
)
api_key_detail = Endpoint("api-key-detail", "api-keys/{api_key.public_id}/")
audit_log_list = Endpoint("audit-log-list", "audit-log/")

# HEAD answers like GET (405 where there is no GET); OPTIONS describes a route to any member.
# Isolation kinds: tests/route_table.py.
# row(method, isolation kind, statuses for: owner, admin, supervisor, agent, viewer,
#     key-admin, key-viewer, non-member, anonymous)
ROUTES = [
    tenant_detail.row("GET",     "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    tenant_detail.row("PATCH",   "tenant",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    tenant_detail.row("DELETE",  "tenant",   (204, 403, 403, 403, 403, 403, 403, 404, 401)),
    tenant_detail.row("HEAD",    "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    tenant_detail.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    event_type_list.row("GET",     "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    event_type_list.row("HEAD",    "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    event_type_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    member_list.row("GET",     "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    member_list.row("HEAD",    "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    member_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    member_detail.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    member_detail.row("PATCH",   "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    member_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    member_detail.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    member_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    # Another member's availability: supervisors and above (and admin keys); one's own: anyone
    # (tests/tenants/test_member_availability.py).
    member_availability.row("POST",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    member_availability.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    member_availability.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    invitation_list.row("GET",     "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    invitation_list.row("POST",    "create",   (201, 201, 403, 403, 403, 201, 403, 404, 401)),
    invitation_list.row("HEAD",    "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    invitation_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    invitation_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    invitation_detail.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    invitation_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    invitation_resend.row("POST",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    invitation_resend.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    invitation_resend.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    api_key_list.row("GET",     "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    api_key_list.row("POST",    "create",   (201, 201, 403, 403, 403, 201, 403, 404, 401)),
    api_key_list.row("HEAD",    "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    api_key_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    api_key_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    api_key_detail.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    api_key_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    audit_log_list.row("GET",     "list",     (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    audit_log_list.row("HEAD",    "list",     (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    audit_log_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
]  # fmt: skip
