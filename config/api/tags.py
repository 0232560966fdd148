"""The areas the API's operations are grouped by in the OpenAPI schema and its docs (the
settings read TAGS; config.api.schema tags each operation with tag_for). No DRF imports: the
settings import this module."""

import re

# Operations grouped by area (the docs' sections, in this order): the first rule whose
# pattern matches the path (after /api/v1/) names the tag. config imports no app: areas are
# recognised by path.
TAGS: list[tuple[str, str, str]] = [
    ("Help center (public)", r"^help/", "A tenant's public help center: no credentials."),
    ("Accounts", r"^auth/", "Registration, tokens, passwords, invitations to accept."),
    (
        "Knowledge base",
        r"^t/[^/]+/(kb/|tickets/[^/]+/suggestions/)",
        "Categories, articles, revisions, search, and article suggestions for a ticket.",
    ),
    (
        "Tickets",
        r"^t/[^/]+/tickets/",
        "Tickets, their conversation, attachments, history, assignment, merging and bulk changes.",
    ),
    ("Customers", r"^t/[^/]+/customers/", "Customers, their export and erasure (GDPR)."),
    ("Exports", r"^t/[^/]+/exports/", "Asynchronous CSV exports."),
    ("SLA", r"^t/[^/]+/(sla-policies|business-hours)/", "SLA policies and business hours."),
    ("Reports", r"^t/[^/]+/reports/", "Figures over a time window."),
    (
        "Notifications and email",
        r"^t/[^/]+/(notifications|notification-preferences|"
        r"inbound-email)/",
        "In-app notifications, preferences, inbound email.",
    ),
    (
        "Webhooks",
        r"^t/[^/]+/(webhooks|webhook-deliveries)/",
        "Signed webhooks and their deliveries.",
    ),
    ("CRM", r"^t/[^/]+/crm-", "The CRM connection and its syncs."),
    (
        "Tenants and access",
        r"^t/",
        "Tenants, members, invitations, API keys, audit log, event types.",
    ),
]
_TAG_PATTERNS = [(name, re.compile(pattern)) for name, pattern, _ in TAGS]


def tag_for(path: str) -> str:
    """The area an API path belongs to ("Tickets", "Webhooks", …)."""
    relative = re.sub(r"^/api/v1/", "", path)
    for name, pattern in _TAG_PATTERNS:
        if pattern.search(relative):
            return name
    return "Tenants and access"
