"""The tickets app's routes under /api/v1/t/<slug>/, one row per (url name, method): the
permission matrix (tests/test_permission_matrix.py) and the isolation matrix
(tests/test_isolation.py) read them. Format: tests/route_table.py.

The expected statuses are written by hand from DESIGN.md §4, never derived from
tenants.permissions. A new tickets route gets its rows here (HEAD and OPTIONS too).

World names the paths and bodies use: ticket, attachment (on the ticket), export (a finished
CSV export), customer (one without tickets), merge_target (a second ticket), member (an
agent's Membership), sla_policy (the "basic" tier's override).
"""

from tests.route_table import Endpoint, Upload

customer_list = Endpoint(
    "customer-list",
    "customers/",
    body={"email": "new@example.test"},
    attack_body={"email": "intruder@example.test"},
)
customer_detail = Endpoint(
    "customer-detail",
    "customers/{customer.public_id}/",
    body={"tier": "basic"},
    attack_body={"name": "Hijacked"},
)
customer_export = Endpoint("customer-export", "customers/{customer.public_id}/export/")
customer_erase = Endpoint("customer-erase", "customers/{customer.public_id}/erase/")
ticket_list = Endpoint(
    "ticket-list",
    "tickets/",
    body={"subject": "Hi", "customer_email": "a@example.test"},
    attack_body={"subject": "Planted", "customer_email": "same@example.test"},
)
ticket_bulk = Endpoint(
    "ticket-bulk",
    "tickets/bulk/",
    body=lambda world: {"numbers": [world["ticket"].number], "changes": {"priority": "high"}},
    attack_body={"numbers": [1], "changes": {"status": "closed", "priority": "low"}},
)
ticket_detail = Endpoint(
    "ticket-detail",
    "tickets/{ticket.number}/",
    body={"priority": "high"},
    attack_body={"status": "closed", "subject": "Hijacked"},
)
ticket_assign = Endpoint(
    "ticket-assign",
    "tickets/{ticket.number}/assign/",
    body=lambda world: {"assignee": str(world["member"].user.public_id)},
    attack_body={"assignee": None},
)
ticket_comments = Endpoint(
    "ticket-comments",
    "tickets/{ticket.number}/comments/",
    body={"body": "Looking into it"},
    attack_body={"body": "Planted"},
)
ticket_events = Endpoint("ticket-events", "tickets/{ticket.number}/events/")
ticket_merge = Endpoint(
    "ticket-merge",
    "tickets/{ticket.number}/merge/",
    body=lambda world: {"into": world["merge_target"].number},
    attack_body={"into": 1},
)
attachment_list = Endpoint(
    "ticket-attachment-list",
    "tickets/{ticket.number}/attachments/",
    body=Upload(b"hello", "b.txt", "text/plain"),
)
attachment_detail = Endpoint(
    "ticket-attachment-detail", "tickets/{ticket.number}/attachments/{attachment.public_id}/"
)
attachment_download = Endpoint(
    "ticket-attachment-download",
    "tickets/{ticket.number}/attachments/{attachment.public_id}/download/",
)
export_list = Endpoint(
    "export-list",
    "exports/",
    body={"filters": {"status": "open"}},
    attack_body={"filters": {}},
)
export_detail = Endpoint("export-detail", "exports/{export.public_id}/")
export_download = Endpoint("export-download", "exports/{export.public_id}/download/")
sla_policy_list = Endpoint(
    "sla-policy-list",
    "sla-policies/",
    body={"tier": "premium", "first_response_minutes": {"critical": 30}},
    attack_body={"tier": "enterprise"},
)
sla_policy_detail = Endpoint(
    "sla-policy-detail",
    "sla-policies/{sla_policy.public_id}/",
    body={"resolution_minutes": {"low": 600}},
    attack_body={"first_response_minutes": {"critical": 1}},
)
_WEEKDAYS_9_TO_5 = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)]
business_hours = Endpoint(
    "business-hours",
    "business-hours/",
    body={"timezone": "Europe/Berlin", "intervals": _WEEKDAYS_9_TO_5, "holidays": []},
    attack_body={"timezone": "Pacific/Kiritimati", "intervals": [], "holidays": []},
)
report_summary = Endpoint("report-summary", "reports/summary/")
holiday_import = Endpoint(
    "business-hours-import-holidays",
    "business-hours/import-holidays/",
    body={"country": "DE", "years": [2026]},
    attack_body={"country": "US", "years": [2027]},
)

# HEAD answers like GET (405 where there is no GET); OPTIONS describes a route to any member.
# Isolation kinds: tests/route_table.py.
# row(method, isolation kind, statuses for: owner, admin, supervisor, agent, viewer,
#     key-admin, key-viewer, non-member, anonymous)
ROUTES = [
    customer_list.row("GET",     "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    customer_list.row("POST",    "create",   (201, 201, 201, 201, 403, 201, 403, 404, 401)),
    customer_list.row("HEAD",    "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    customer_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    customer_detail.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    customer_detail.row("PATCH",   "object",   (200, 200, 200, 200, 403, 200, 403, 404, 401)),
    customer_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    customer_detail.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    customer_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_list.row("GET",     "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_list.row("POST",    "create",   (201, 201, 201, 201, 403, 201, 403, 404, 401)),
    ticket_list.row("HEAD",    "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_detail.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_detail.row("PATCH",   "object",   (200, 200, 200, 200, 403, 200, 403, 404, 401)),
    ticket_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    ticket_detail.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_assign.row("POST",    "object",   (200, 200, 200, 200, 403, 200, 403, 404, 401)),
    ticket_assign.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    ticket_assign.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_comments.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_comments.row("POST",    "object",   (201, 201, 201, 201, 403, 201, 403, 404, 401)),
    ticket_comments.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_comments.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_events.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_events.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_events.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_merge.row("POST",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    ticket_merge.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    ticket_merge.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_bulk.row("POST",    "create",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    ticket_bulk.row("HEAD",    "tenant",   (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    ticket_bulk.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    attachment_list.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    attachment_list.row("POST",    "object",   (201, 201, 201, 201, 403, 201, 403, 404, 401)),
    attachment_list.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    attachment_list.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    attachment_detail.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    attachment_detail.row("DELETE",  "object",   (204, 204, 204, 204, 403, 204, 403, 404, 401)),
    attachment_detail.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    attachment_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    attachment_download.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    attachment_download.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    attachment_download.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    export_list.row("GET",     "list",     (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    export_list.row("POST",    "create",   (202, 202, 202, 403, 403, 202, 403, 404, 401)),
    export_list.row("HEAD",    "list",     (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    export_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    export_detail.row("GET",     "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    export_detail.row("HEAD",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    export_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    export_download.row("GET",     "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    export_download.row("HEAD",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    export_download.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    report_summary.row("GET",     "tenant",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    report_summary.row("HEAD",    "tenant",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    report_summary.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    customer_export.row("GET",     "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    customer_export.row("HEAD",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    customer_export.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    customer_erase.row("POST",    "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    customer_erase.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    customer_erase.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    sla_policy_list.row("GET",     "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    sla_policy_list.row("POST",    "create",   (201, 201, 403, 403, 403, 201, 403, 404, 401)),
    sla_policy_list.row("HEAD",    "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    sla_policy_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    sla_policy_detail.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    sla_policy_detail.row("PATCH",   "object",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    sla_policy_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    sla_policy_detail.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    sla_policy_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    business_hours.row("GET",     "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    business_hours.row("PUT",     "tenant",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    business_hours.row("PATCH",   "tenant",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    business_hours.row("HEAD",    "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    business_hours.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    holiday_import.row("POST",    "tenant",   (200, 200, 403, 403, 403, 200, 403, 404, 401)),
    holiday_import.row("HEAD",    "tenant",   (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    holiday_import.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
]  # fmt: skip
