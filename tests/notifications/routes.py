"""The notifications app's routes under /api/v1/t/<slug>/, one row per (url name, method): the
permission matrix and the isolation matrix read them. Format: tests/route_table.py.

The expected statuses are written by hand from DESIGN.md §4, never derived from
tenants.permissions. A new notifications route gets its rows here (HEAD and OPTIONS too).

World names: notification (an in-app notification of another member: everyone's own list
never shows it, so its routes are 404 to every caller), delivery (a dead email delivery).
API keys have no inbox: 403 on the member's own routes.
"""

from tests.route_table import Endpoint, Route

notification_list = Endpoint("notification-list", "notifications/")
notification_detail = Endpoint("notification-detail", "notifications/{notification.public_id}/")
notification_read = Endpoint("notification-read", "notifications/{notification.public_id}/read/")
notification_read_all = Endpoint("notification-read-all", "notifications/read-all/")
notification_unread = Endpoint("notification-unread-count", "notifications/unread-count/")
preferences = Endpoint(
    "notification-preferences",
    "notification-preferences/",
    body={"assigned_to_you": {"email": False}},
    attack_body={"customer_replied": {"in_app": False}},
)
delivery_list = Endpoint("email-delivery-list", "notifications/deliveries/")
delivery_detail = Endpoint(
    "email-delivery-detail", "notifications/deliveries/{delivery.public_id}/"
)
delivery_redeliver = Endpoint(
    "email-delivery-redeliver", "notifications/deliveries/{delivery.public_id}/redeliver/"
)

# row(method, isolation kind, statuses for: owner, admin, supervisor, agent, viewer,
#     key-admin, key-viewer, non-member, anonymous)
MEMBER_ROUTES = [
    notification_list.row("GET",     "list",     (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    notification_list.row("HEAD",    "list",     (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    notification_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    notification_detail.row("GET",     "object",   (404, 404, 404, 404, 404, 403, 403, 404, 401)),
    notification_detail.row("HEAD",    "object",   (404, 404, 404, 404, 404, 403, 403, 404, 401)),
    notification_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    notification_read.row("POST",    "object",   (404, 404, 404, 404, 404, 403, 403, 404, 401)),
    notification_read.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    notification_read.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    notification_read_all.row("POST",    "tenant", (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    notification_read_all.row("HEAD",    "tenant", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    notification_read_all.row("OPTIONS", "tenant", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    notification_unread.row("GET",     "tenant", (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    notification_unread.row("HEAD",    "tenant", (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    notification_unread.row("OPTIONS", "tenant", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    preferences.row("GET",     "tenant", (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    preferences.row("PATCH",   "tenant", (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    preferences.row("HEAD",    "tenant", (200, 200, 200, 200, 200, 403, 403, 404, 401)),
    preferences.row("OPTIONS", "tenant", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
]  # fmt: skip
DELIVERY_ROUTES = [
    delivery_list.row("GET",     "list",     (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    delivery_list.row("HEAD",    "list",     (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    delivery_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    delivery_detail.row("GET",     "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    delivery_detail.row("HEAD",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    delivery_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    delivery_redeliver.row("POST",    "object",   (202, 202, 202, 403, 403, 202, 403, 404, 401)),
    delivery_redeliver.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    delivery_redeliver.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
]  # fmt: skip

# --- Inbound email
# The raw-MIME endpoint is public (PublicTenantAPIView): no member credential opens it, only
# the tenant's inbound secret (tests/notifications/test_inbound_api.py), so every caller of
# the matrix gets the same answer. Its isolation is tested there too ("public" rows).
inbound_email = Endpoint(
    "inbound-email",
    "inbound-email/",
    body={"raw": "From: a@example.test"},
    attack_body={"raw": "From: a@example.test"},
)
inbound_email_secret = Endpoint("inbound-email-secret", "inbound-email/secret/", body={})

# row(method, isolation kind, statuses for: owner, admin, supervisor, agent, viewer,
#     key-admin, key-viewer, non-member, anonymous)
INBOUND_ROUTES = [
    inbound_email.row("POST",    "public",   (401, 401, 401, 401, 401, 401, 401, 401, 401)),
    inbound_email.row("HEAD",    "public",   (405, 405, 405, 405, 405, 405, 405, 405, 405)),
    inbound_email.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),

    inbound_email_secret.row("GET",     "tenant", (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    inbound_email_secret.row("POST",    "create", (201, 201, 403, 403, 403, 201, 403, 404, 401)),
    inbound_email_secret.row("HEAD",    "tenant", (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    inbound_email_secret.row("OPTIONS", "tenant", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
]  # fmt: skip

ROUTES: list[Route] = MEMBER_ROUTES + DELIVERY_ROUTES + INBOUND_ROUTES
