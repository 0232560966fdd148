"""The integrations app's routes under /api/v1/t/<slug>/, one row per (url name, method): the
permission matrix and the isolation matrix read them. Format: tests/route_table.py.

The expected statuses are written by hand from DESIGN.md §4 (webhooks and CRM: admins and
owners, and API keys with the admin role; reads included: endpoints, the CRM connection and
their logs are admin things), never derived from tenants.permissions. A new integrations route
gets its rows here (HEAD and OPTIONS too).

World names: webhook (an active endpoint taking every event), webhook_delivery (a dead
delivery to it, with two attempts), crm_connection (the tenant's one CRM connection: so a POST
of another is 409 for those allowed to make one), crm_sync (a dead sync of it).
"""

from tests.route_table import Endpoint, Route

webhook_list = Endpoint(
    "webhook-list",
    "webhooks/",
    body={"url": "https://hooks.example.com/new", "events": ["ticket.created"]},
    attack_body={"url": "https://hooks.example.com/planted", "events": ["*"]},
)
webhook_detail = Endpoint(
    "webhook-detail",
    "webhooks/{webhook.public_id}/",
    body={"description": "Renamed", "events": ["ticket.created", "comment.created"]},
    attack_body={"url": "https://hooks.example.com/hijacked", "include_internal": True},
)
webhook_rotate = Endpoint("webhook-rotate-secret", "webhooks/{webhook.public_id}/rotate-secret/")
webhook_ping = Endpoint("webhook-ping", "webhooks/{webhook.public_id}/ping/")
webhook_deliveries = Endpoint("webhook-deliveries", "webhooks/{webhook.public_id}/deliveries/")
delivery_detail = Endpoint(
    "webhook-delivery-detail", "webhook-deliveries/{webhook_delivery.public_id}/"
)
delivery_redeliver = Endpoint(
    "webhook-delivery-redeliver", "webhook-deliveries/{webhook_delivery.public_id}/redeliver/"
)
crm_list = Endpoint(
    "crm-connection-list",
    "crm-connections/",
    body={"provider": "hubspot", "credentials": {"access_token": "pat-na1-new"}},
    attack_body={
        "provider": "salesforce",
        "base_url": "https://planted.my.salesforce.com",
        "credentials": {"access_token": "planted"},
    },
)
crm_detail = Endpoint(
    "crm-connection-detail",
    "crm-connections/{crm_connection.public_id}/",
    body={"enabled": False, "tier_property": "support_tier"},
    attack_body={"base_url": "https://hijacked.example.com", "credentials": {"access_token": "x"}},
)
crm_syncs = Endpoint("crm-connection-syncs", "crm-connections/{crm_connection.public_id}/syncs/")
crm_redeliver = Endpoint("crm-sync-redeliver", "crm-syncs/{crm_sync.public_id}/redeliver/")

# row(method, isolation kind, statuses for: owner, admin, supervisor, agent, viewer,
#     key-admin, key-viewer, non-member, anonymous)
ROUTES: list[Route] = [
    webhook_list.row("GET",     "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_list.row("POST",    "create",   (201, 201, 403, 403, 403, 201, 403, 404, 401)),
    webhook_list.row("HEAD",    "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    webhook_detail.row("GET",     "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_detail.row("PATCH",   "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    webhook_detail.row("HEAD",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    webhook_rotate.row("POST",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_rotate.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    webhook_rotate.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    webhook_ping.row("POST",    "object",   (202, 202, 403, 403, 403, 202, 403, 404, 401)),
    webhook_ping.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    webhook_ping.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    webhook_deliveries.row("GET",     "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_deliveries.row("HEAD",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    webhook_deliveries.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    delivery_detail.row("GET",     "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    delivery_detail.row("HEAD",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    delivery_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    delivery_redeliver.row("POST",    "object",   (202, 202, 403, 403, 403, 202, 403, 404, 401)),
    delivery_redeliver.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    delivery_redeliver.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    # The world's tenant has its one connection: a second is 409 wherever the role allows it.
    crm_list.row("GET",     "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    crm_list.row("POST",    "create",   (409, 409, 403, 403, 403, 409, 403, 404, 401)),
    crm_list.row("HEAD",    "list",     (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    crm_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    crm_detail.row("GET",     "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    crm_detail.row("PATCH",   "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    crm_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    crm_detail.row("HEAD",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    crm_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    crm_syncs.row("GET",     "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    crm_syncs.row("HEAD",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    crm_syncs.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    crm_redeliver.row("POST",    "object",   (202, 202, 403, 403, 403, 202, 403, 404, 401)),
    crm_redeliver.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    crm_redeliver.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),
]  # fmt: skip
