"""The notifications app's routes under /api/v1/t/<slug>/, one row per (url name, method): the
permission matrix and the isolation matrix read them. Format: tests/route_table.py.

The expected statuses are written by hand from DESIGN.md §4, never derived from
tenants.permissions. A new notifications route gets its rows here (HEAD and OPTIONS too).
ROUTES is the sum of one named list per area.
"""

from tests.route_table import Endpoint, Route

NOTIFICATION_ROUTES: list[Route] = []

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

ROUTES: list[Route] = NOTIFICATION_ROUTES + INBOUND_ROUTES
