"""Role x endpoint x method -> status, as an explicit literal table (DESIGN.md §4).

The table is written by hand from the design, never derived from tenants.permissions.
"""

import json
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from rest_framework.test import APIClient

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import ApiKey, Invitation, Membership, Role, Tenant, TenantModel
from tests.tenant_routes import DESCRIBE_METHODS, tenant_routes
from tests.tickets.worlds import ticket_with_attachment_and_export
from tickets import services as ticket_services

ACTORS = (
    "owner",
    "admin",
    "supervisor",
    "agent",
    "viewer",
    "key-admin",
    "key-viewer",
    "non-member",
    "anonymous",
)

# (url name, method): expected status for each actor, in ACTORS order.
#                               owner admin  sup agent viewer k-adm k-view non-m anon
MATRIX = {
    ("tenant-detail", "GET"):     (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("tenant-detail", "PATCH"):   (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("tenant-detail", "DELETE"):  (204, 403, 403, 403, 403, 403, 403, 404, 401),
    ("event-type-list", "GET"):   (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("member-list", "GET"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("member-detail", "GET"):     (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("member-detail", "PATCH"):   (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("member-detail", "DELETE"):  (204, 204, 403, 403, 403, 204, 403, 404, 401),
    ("invitation-list", "GET"):   (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("invitation-list", "POST"):  (201, 201, 403, 403, 403, 201, 403, 404, 401),
    ("invitation-detail", "DELETE"): (204, 204, 403, 403, 403, 204, 403, 404, 401),
    ("invitation-resend", "POST"):   (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("api-key-list", "GET"):      (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("api-key-list", "POST"):     (201, 201, 403, 403, 403, 201, 403, 404, 401),
    ("api-key-detail", "DELETE"): (204, 204, 403, 403, 403, 204, 403, 404, 401),
    ("audit-log-list", "GET"):    (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("customer-list", "GET"):     (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-list", "POST"):    (201, 201, 201, 201, 403, 201, 403, 404, 401),
    ("customer-detail", "GET"):   (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-detail", "PATCH"): (200, 200, 200, 200, 403, 200, 403, 404, 401),
    ("customer-detail", "DELETE"):(204, 204, 403, 403, 403, 204, 403, 404, 401),
    ("ticket-list", "GET"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-list", "POST"):      (201, 201, 201, 201, 403, 201, 403, 404, 401),
    ("ticket-detail", "GET"):     (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-detail", "PATCH"):   (200, 200, 200, 200, 403, 200, 403, 404, 401),
    ("ticket-detail", "DELETE"):  (204, 204, 403, 403, 403, 204, 403, 404, 401),
    ("ticket-assign", "POST"):    (200, 200, 200, 200, 403, 200, 403, 404, 401),
    ("ticket-comments", "GET"):   (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-comments", "POST"):  (201, 201, 201, 201, 403, 201, 403, 404, 401),
    ("ticket-events", "GET"):     (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-merge", "POST"):     (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("ticket-bulk", "POST"):      (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("ticket-attachment-list", "GET"):      (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-list", "POST"):     (201, 201, 201, 201, 403, 201, 403, 404, 401),
    ("ticket-attachment-detail", "GET"):    (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-detail", "DELETE"): (204, 204, 204, 204, 403, 204, 403, 404, 401),
    ("ticket-attachment-download", "GET"):  (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("export-list", "GET"):       (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("export-list", "POST"):      (202, 202, 202, 403, 403, 202, 403, 404, 401),
    ("export-detail", "GET"):     (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("export-download", "GET"):   (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("customer-export", "GET"):   (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("customer-erase", "POST"):   (200, 200, 403, 403, 403, 200, 403, 404, 401),
    # HEAD answers like GET (405 where there is no GET); OPTIONS describes a route to any member.
    ("tenant-detail", "HEAD"):            (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("tenant-detail", "OPTIONS"):         (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("event-type-list", "HEAD"):          (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("event-type-list", "OPTIONS"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("member-list", "HEAD"):              (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("member-list", "OPTIONS"):           (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("invitation-list", "HEAD"):          (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("invitation-list", "OPTIONS"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("invitation-detail", "HEAD"):        (405, 405, 405, 405, 405, 405, 405, 404, 401),
    ("invitation-detail", "OPTIONS"):     (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("invitation-resend", "HEAD"):        (405, 405, 405, 405, 405, 405, 405, 404, 401),
    ("invitation-resend", "OPTIONS"):     (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("member-detail", "HEAD"):            (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("member-detail", "OPTIONS"):         (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("api-key-list", "HEAD"):             (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("api-key-list", "OPTIONS"):          (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("api-key-detail", "HEAD"):           (405, 405, 405, 405, 405, 405, 405, 404, 401),
    ("api-key-detail", "OPTIONS"):        (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("audit-log-list", "HEAD"):           (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("audit-log-list", "OPTIONS"):        (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-list", "HEAD"):            (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-list", "OPTIONS"):         (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-detail", "HEAD"):          (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-detail", "OPTIONS"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-list", "HEAD"):              (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-list", "OPTIONS"):           (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-detail", "HEAD"):            (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-detail", "OPTIONS"):         (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-assign", "HEAD"):            (405, 405, 405, 405, 405, 405, 405, 404, 401),
    ("ticket-assign", "OPTIONS"):         (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-comments", "HEAD"):          (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-comments", "OPTIONS"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-events", "HEAD"):            (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-events", "OPTIONS"):         (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-merge", "HEAD"):             (405, 405, 405, 405, 405, 405, 405, 404, 401),
    ("ticket-merge", "OPTIONS"):          (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-bulk", "HEAD"):              (405, 405, 405, 405, 405, 405, 405, 404, 401),
    ("ticket-bulk", "OPTIONS"):           (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-list", "HEAD"):   (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-list", "OPTIONS"):(200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-detail", "HEAD"): (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-detail", "OPTIONS"):(200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-download", "HEAD"):(200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("ticket-attachment-download", "OPTIONS"):(200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("export-list", "HEAD"):              (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("export-list", "OPTIONS"):           (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("export-detail", "HEAD"):            (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("export-detail", "OPTIONS"):         (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("export-download", "HEAD"):          (200, 200, 200, 403, 403, 200, 403, 404, 401),
    ("export-download", "OPTIONS"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-export", "HEAD"):          (200, 200, 403, 403, 403, 200, 403, 404, 401),
    ("customer-export", "OPTIONS"):       (200, 200, 200, 200, 200, 200, 200, 404, 401),
    ("customer-erase", "HEAD"):           (405, 405, 405, 405, 405, 405, 405, 404, 401),
    ("customer-erase", "OPTIONS"):        (200, 200, 200, 200, 200, 200, 200, 404, 401),
}  # fmt: skip


def test_every_tenant_route_is_in_the_permission_matrix():
    assert tenant_routes() == set(MATRIX)


@pytest.fixture
def world(tenant, other_tenant, member):
    """A tenant with a target member, a target API key and a pending invitation."""
    target = member(Role.AGENT)
    admin = member(Role.ADMIN)
    admin_actor = Actor(user=admin.user, role=admin.role)
    api_key, _ = services.api_key_create(tenant=tenant, actor=admin_actor, name="t", role="agent")
    invitation = services.invitation_create(
        tenant=tenant, actor=admin_actor, email="invited@example.test", role=Role.AGENT
    )
    slug = tenant.slug
    with tenant_context(tenant):
        lonely = ticket_services.customer_create(
            tenant=tenant, actor=Actor(), email="lonely@example.test"
        )
        merge_target = ticket_services.ticket_create(
            tenant=tenant,
            actor=Actor(),
            subject="Same problem",
            customer_email="asker@example.test",
        )
    made = ticket_with_attachment_and_export(
        tenant, subject="Help", customer_email="asker@example.test"
    )
    ticket, attachment, job = made.ticket, made.attachment, made.export
    t = f"/api/v1/t/{slug}/tickets/{ticket.number}"
    a = f"{t}/attachments/{attachment.public_id}"
    c = f"/api/v1/t/{slug}/customers/{lonely.public_id}"
    e = f"/api/v1/t/{slug}/exports/{job.public_id}"
    return {
        "ticket-attachment-list": (f"{t}/attachments/", Upload(b"hello", "b.txt", "text/plain")),
        "ticket-attachment-detail": (f"{a}/", None),
        "ticket-attachment-download": (f"{a}/download/", None),
        "export-list": (f"/api/v1/t/{slug}/exports/", {"filters": {"status": "open"}}),
        "export-detail": (f"{e}/", None),
        "export-download": (f"{e}/download/", None),
        "customer-export": (f"{c}/export/", None),
        "customer-erase": (f"{c}/erase/", None),
        "customer-list": (f"/api/v1/t/{slug}/customers/", {"email": "new@example.test"}),
        "customer-detail": (f"/api/v1/t/{slug}/customers/{lonely.public_id}/", {"tier": "basic"}),
        "ticket-list": (
            f"/api/v1/t/{slug}/tickets/",
            {"subject": "Hi", "customer_email": "a@example.test"},
        ),
        "ticket-detail": (f"{t}/", {"priority": "high"}),
        "ticket-assign": (f"{t}/assign/", {"assignee": str(target.user.public_id)}),
        "ticket-comments": (f"{t}/comments/", {"body": "Looking into it"}),
        "ticket-events": (f"{t}/events/", None),
        "ticket-merge": (f"{t}/merge/", {"into": merge_target.number}),
        "ticket-bulk": (
            f"/api/v1/t/{slug}/tickets/bulk/",
            {"numbers": [ticket.number], "changes": {"priority": "high"}},
        ),
        "tenant-detail": (f"/api/v1/t/{slug}/", {"name": "Renamed"}),
        "event-type-list": (f"/api/v1/t/{slug}/event-types/", None),
        "member-list": (f"/api/v1/t/{slug}/members/", None),
        "invitation-list": (
            f"/api/v1/t/{slug}/invitations/",
            {"email": "newcomer@example.test", "role": "agent"},
        ),
        "invitation-detail": (f"/api/v1/t/{slug}/invitations/{invitation.public_id}/", None),
        "invitation-resend": (f"/api/v1/t/{slug}/invitations/{invitation.public_id}/resend/", None),
        "member-detail": (f"/api/v1/t/{slug}/members/{target.public_id}/", {"role": "viewer"}),
        "api-key-list": (f"/api/v1/t/{slug}/api-keys/", {"name": "ci", "role": "agent"}),
        "api-key-detail": (f"/api/v1/t/{slug}/api-keys/{api_key.public_id}/", None),
        "audit-log-list": (f"/api/v1/t/{slug}/audit-log/", None),
    }


def _client_for(actor, *, tenant, other_tenant, member, api_client, api_key_client):
    if actor == "anonymous":
        return APIClient()
    if actor == "non-member":
        return api_client(member(Role.OWNER, tenant=other_tenant))
    if actor.startswith("key-"):
        client, _ = api_key_client(tenant, actor.removeprefix("key-"))
        return client
    return api_client(member(actor))


@dataclass(frozen=True)
class Upload:
    """A multipart file upload body (a fresh file object for every request)."""

    content: bytes
    name: str
    content_type: str


def _send(client, method, url, body):
    if isinstance(body, Upload) and method == "POST":
        upload = SimpleUploadedFile(body.name, body.content, body.content_type)
        return client.post(url, {"file": upload}, format="multipart")
    # Bodies travel as JSON for every other request (a GET ignores its body; as a query
    # string it would act as a filter).
    plain = body if isinstance(body, dict) else {}
    return client.generic(method, url, json.dumps(plain), "application/json")


ROWS = [
    pytest.param(route, method, statuses, id=f"{route}-{method}")
    for (route, method), statuses in MATRIX.items()
]


@pytest.mark.parametrize(("route", "method", "expected"), ROWS)
def test_permission_matrix(
    route, method, expected, world, tenant, other_tenant, member, api_client, api_key_client
):
    """One row: every actor sends the route's request to the same world. Each request runs in
    a savepoint that is rolled back afterwards, so one actor's success (a DELETE) cannot change
    what the next one meets; a refused request, and any HEAD or OPTIONS, must change nothing."""
    clients = {
        actor: _client_for(
            actor,
            tenant=tenant,
            other_tenant=other_tenant,
            member=member,
            api_client=api_client,
            api_key_client=api_key_client,
        )
        for actor in ACTORS
    }
    url, body = world[route]
    before = _fingerprint(tenant)
    statuses, unchanged = [], []

    for actor, status in zip(ACTORS, expected, strict=True):
        with transaction.atomic():
            # The route's body goes along on HEAD and OPTIONS too: a handler that wrote there
            # would store it.
            statuses.append(_send(clients[actor], method, url, body).status_code)
            must_not_write = status >= 400 or method in DESCRIBE_METHODS
            unchanged.append(not must_not_write or _fingerprint(tenant) == before)
            transaction.set_rollback(True)

    assert dict(zip(ACTORS, statuses, strict=True)) == dict(zip(ACTORS, expected, strict=True))
    assert dict(zip(ACTORS, unchanged, strict=True)) == dict.fromkeys(ACTORS, True)


_DIGEST = "(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {} x{})"


def _fingerprint(tenant) -> str:
    """A digest of every row the tenant has: its tenant-owned tables (through RLS), its
    memberships, keys and invitations, the tenant row itself. One statement."""
    digests = [
        _DIGEST.format(model._meta.db_table, "")
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.app_label in ("tenants", "tickets")
    ]
    digests += [
        _DIGEST.format(model._meta.db_table, " WHERE x.tenant_id = %(tenant)s")
        for model in (Membership, ApiKey, Invitation)
    ]
    digests.append(_DIGEST.format(Tenant._meta.db_table, " WHERE x.id = %(tenant)s"))
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(f"SELECT concat_ws(',', {', '.join(digests)})", {"tenant": tenant.pk})
        return cursor.fetchone()[0]
