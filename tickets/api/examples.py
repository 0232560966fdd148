"""Request and response examples of the main ticket and customer operations, for the OpenAPI
schema (the reading experience: Swagger UI and Redoc show them beside each operation).

Each is a real answer of the API with the demo data, shortened where a list repeats itself.
tests/test_schema_examples.py validates every example against its operation's schema
(strictly: no field the schema lacks, none it requires missing) and sends the request
examples to the API, so an example that drifts from the API fails the suite.
"""

import copy

from drf_spectacular.utils import OpenApiExample

REQUESTER = {
    "id": "5bac9950-ca67-4276-9ce8-9e5e051bd68d",
    "name": "Dana Park",
    "email": "dana@example.com",
}
AGENT = {
    "id": "cdd810cf-a8b0-4092-828f-d9dd441f5d8c",
    "name": "Alex Agent",
    "email": "alex@acme.example",
}

TICKET = {
    "number": 42,
    "subject": "Cannot log in after password reset",
    "description": "The reset link says it expired, though I used it at once.",
    "status": "in_progress",
    "priority": "high",
    "category": "account",
    "channel": "api",
    "requester": REQUESTER["id"],
    "requester_email": REQUESTER["email"],
    "requester_detail": REQUESTER,
    "assignee": AGENT["id"],
    "assignee_detail": AGENT,
    "tags": ["login", "password-reset"],
    "metadata": {"plan": "pro"},
    "external_id": None,
    "escalated": False,
    "escalation_level": 0,
    "is_urgent": False,
    "sla": {
        "first_response_due_at": "2026-12-01T12:00:00Z",
        "resolution_due_at": "2026-12-03T16:00:00Z",
        "first_response_remaining_minutes": None,
        "resolution_remaining_minutes": 1380.0,
        "first_response_target_minutes": 240,
        "resolution_target_minutes": 1440,
        "breached": False,
        "paused": False,
        "timeline": [
            {"event": "started", "at": "2026-11-30T09:12:03.078646Z"},
            {"event": "first_response_met", "at": "2026-11-30T09:40:11.122147Z"},
        ],
    },
    "first_response_at": "2026-11-30T09:40:11.122147Z",
    "resolved_at": None,
    "closed_at": None,
    "merged_into": None,
    "follow_up_of": None,
    "created_at": "2026-11-30T09:12:03.078646Z",
    "updated_at": "2026-11-30T09:40:11.131020Z",
    "version": 3,
}


def ticket(**changes) -> dict:
    """The example ticket with some fields changed (a deep copy)."""
    return {**copy.deepcopy(TICKET), **changes}


NEW_TICKET = ticket(
    number=43,
    subject="Invoice shows the wrong VAT rate",
    description="Invoice INV-2291 charges 21 % VAT; we are in Germany (19 %).",
    status="open",
    priority="medium",
    category="billing",
    tags=["billing", "vat"],
    metadata={},
    assignee=None,
    assignee_detail=None,
    first_response_at=None,
    sla={
        **TICKET["sla"],
        "first_response_remaining_minutes": 480.0,
        "resolution_remaining_minutes": 1440.0,
        "first_response_target_minutes": 480,
        "timeline": [{"event": "started", "at": "2026-11-30T10:02:44.512090Z"}],
    },
    created_at="2026-11-30T10:02:44.512090Z",
    updated_at="2026-11-30T10:02:44.512090Z",
    version=1,
)

TICKET_LIST = [
    OpenApiExample(
        "A page of tickets",
        description="One ticket of the page shown; `next` reads the following page.",
        value=TICKET,
        response_only=True,
    ),
]

TICKET_GET = [OpenApiExample("A ticket", value=TICKET, response_only=True)]

TICKET_CREATE = [
    OpenApiExample(
        "For a customer by email",
        description="The customer is found by email, or created with this name.",
        value={
            "subject": NEW_TICKET["subject"],
            "description": NEW_TICKET["description"],
            "customer_email": "dana@example.com",
            "customer_name": "Dana Park",
            "priority": "medium",
            "category": "billing",
            "tags": ["billing", "vat"],
        },
        request_only=True,
    ),
    OpenApiExample(
        "For a known customer, assigned",
        value={
            "subject": "Webhook deliveries failing since Monday",
            "requester": REQUESTER["id"],
            "assignee": AGENT["id"],
            "priority": "high",
            "external_id": "CRM-7781",
        },
        request_only=True,
    ),
    OpenApiExample("The new ticket", value=NEW_TICKET, response_only=True, status_codes=["201"]),
]

TICKET_UPDATE = [
    OpenApiExample(
        "Wait for the customer",
        description="Send `If-Match` with the ETag you read to refuse overwriting a newer "
        "change (412).",
        value={"status": "pending"},
        request_only=True,
    ),
    OpenApiExample(
        "Re-triage",
        value={"priority": "critical", "category": "outage", "tags": ["outage", "api"]},
        request_only=True,
    ),
    OpenApiExample(
        "The changed ticket",
        value=ticket(status="pending", version=4, updated_at="2026-11-30T10:15:00.250311Z"),
        response_only=True,
    ),
]

TICKET_ASSIGN = [
    OpenApiExample("To a member", value={"assignee": AGENT["id"]}, request_only=True),
    OpenApiExample(
        "By the tenant's rules",
        description="The assignment strategy picks an available agent (round robin).",
        value={"strategy": "round_robin"},
        request_only=True,
    ),
    OpenApiExample("Unassign", value={"assignee": None}, request_only=True),
]

COMMENT = {
    "id": "ae244e94-2a9c-4391-94a3-52e4005dfcbc",
    "body": "Thanks, Dana. We are looking into it and will write back within the hour.",
    "public": True,
    "author_user": AGENT["id"],
    "author_customer": None,
    "author": {**AGENT, "type": "user"},
    "created_at": "2026-11-30T09:40:11.122147Z",
}

COMMENT_CREATE = [
    OpenApiExample(
        "A public reply",
        description="Emailed to the requester; the first one meets the first-response target.",
        value={"body": COMMENT["body"], "public": True},
        request_only=True,
    ),
    OpenApiExample(
        "An internal note",
        description="Seen by members only; never emailed or sent to public webhooks.",
        value={"body": "Looks like the token TTL bug from last week.", "public": False},
        request_only=True,
    ),
    OpenApiExample("The new comment", value=COMMENT, response_only=True, status_codes=["201"]),
]

BULK = [
    OpenApiExample(
        "Triage several tickets",
        description="All or nothing: one ticket that cannot change fails the whole request.",
        value={
            "numbers": [42, 43],
            "changes": {"priority": "high", "assignee": AGENT["id"], "tags_add": ["vip"]},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Close",
        value={"numbers": [17, 18, 19], "changes": {"status": "closed"}},
        request_only=True,
    ),
    OpenApiExample(
        "The changed tickets",
        value={
            "updated": [42],
            "results": [ticket(tags=["login", "password-reset", "vip"], version=4)],
        },
        response_only=True,
    ),
]

MERGE = [
    OpenApiExample(
        "Into another ticket",
        description="The source is closed and points to the target; its comments move.",
        value={"into": 42},
        request_only=True,
    ),
    OpenApiExample(
        "Both tickets after the merge",
        value={
            "source": ticket(
                number=44,
                status="closed",
                merged_into=42,
                resolved_at="2026-11-30T11:00:00.615819Z",
                closed_at="2026-11-30T11:00:00.615819Z",
                version=2,
            ),
            "target": ticket(version=4),
        },
        response_only=True,
    ),
]

CUSTOMER = {
    "id": REQUESTER["id"],
    "email": REQUESTER["email"],
    "name": REQUESTER["name"],
    "tier": "premium",
    "company": "Initech",
    "phone": "+49 30 1234567",
    "crm_id": "",
    "metadata": {"account_manager": "kim"},
    "erased": False,
    "version": 1,
    "created_at": "2026-11-29T15:20:00.000000Z",
    "updated_at": "2026-11-29T15:20:00.000000Z",
}

CUSTOMER_CREATE = [
    OpenApiExample(
        "A customer",
        value={
            "email": CUSTOMER["email"],
            "name": CUSTOMER["name"],
            "tier": CUSTOMER["tier"],
            "company": CUSTOMER["company"],
            "phone": CUSTOMER["phone"],
            "metadata": CUSTOMER["metadata"],
        },
        request_only=True,
    ),
    OpenApiExample("The new customer", value=CUSTOMER, response_only=True, status_codes=["201"]),
]
