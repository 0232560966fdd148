"""Tenant isolation over every tenant route: another tenant's objects are 404 and untouched,
lists never contain them, and the 404 cannot be told apart from "no such tenant".

Two tenants with identical shapes; the caller is tenant A's owner (the strongest role) or
A's admin API key.
"""

import json
import uuid
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from integrations.models import (
    CrmConnection,
    CrmSync,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from knowledge_base.models import Article, ArticleRevision, ArticleSlug, Category
from notifications.models import EmailDelivery, Notification, NotificationPreference
from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import ApiKey, AuditLogEntry, Invitation, Membership, Role, Tenant
from tests.conftest import make_member, module_world, world_for_test
from tests.errors import field_errors
from tests.integrations.worlds import crm_connection_with_dead_sync, webhook_with_dead_delivery
from tests.knowledge_base.worlds import kb_objects
from tests.notifications.recipes import email_delivery_recipe, notification_recipe
from tests.route_table import resolve_body
from tests.routes import ALL_ROUTES, HOW_TO_FIX, missing_and_extra
from tests.tenant_routes import tenant_routes_by_app
from tests.tenants.recipes import audit_entry_recipe, membership_recipe, tenant_recipe
from tests.tickets.worlds import ticket_with_attachment_and_export, tier_policy
from tickets import services as ticket_services
from tickets.models import Attachment, Comment, Customer, ExportJob, SlaPolicy, Ticket

# (url name, method) -> how it is attacked (tests/route_table.py: "tenant", "list",
# "create", "object", "describe"); rows from tests/<app>/routes.py.
ISOLATION = {route.key: route.isolation for route in ALL_ROUTES}
BY_NAME = {route.name: route for route in ALL_ROUTES}  # path and bodies are per url name


def _describe_rows_break_the_rule():
    # HEAD runs the GET handler, so it is attacked like GET. OPTIONS (and HEAD where there is
    # no GET, a 405) never looks an object up: on an object route it must answer for a foreign
    # object exactly what it answers for a missing one ("describe"), elsewhere "tenant".
    wrong = {}
    for (route, method), kind in ISOLATION.items():
        if method not in ("HEAD", "OPTIONS"):
            continue
        kinds = {k for (name, m), k in ISOLATION.items() if name == route and m != method}
        if kinds == {"public"}:
            rule = "public"  # a public route is public in every method
        elif method == "HEAD" and (route, "GET") in ISOLATION:
            rule = ISOLATION[(route, "GET")]
        else:
            rule = "describe" if "object" in kinds else "tenant"
        if kind != rule:
            wrong[(route, method)] = (kind, rule)
    return wrong


def test_head_and_options_rows_are_attacked_by_the_rule():
    assert _describe_rows_break_the_rule() == {}


NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def test_every_tenant_route_is_in_the_isolation_matrix():
    problems = missing_and_extra(tenant_routes_by_app())
    assert not problems, f"{HOW_TO_FIX}: {problems}"


def _populate(tenant, member):
    owner = member(Role.OWNER, tenant=tenant)
    agent = member(Role.AGENT, tenant=tenant)
    owner_actor = Actor(user=owner.user, role=owner.role)
    api_key, _ = services.api_key_create(tenant=tenant, actor=owner_actor, name="k", role="agent")
    # The same address invited by both tenants.
    invitation = services.invitation_create(
        tenant=tenant, actor=owner_actor, email="invited@example.test", role=Role.ADMIN
    )
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, _quantity=3)
        customer = ticket_services.customer_create(
            tenant=tenant, actor=Actor(), email=f"lonely@{tenant.slug}.test"
        )
    made = ticket_with_attachment_and_export(
        tenant, subject="Help", customer_email="same@example.test"
    )
    ticket, attachment, job = made.ticket, made.attachment, made.export
    with tenant_context(tenant):
        notification = notification_recipe.make(tenant=tenant, user=owner.user)
        delivery = email_delivery_recipe.make(tenant=tenant, status="dead", attempts=6)
    webhooks = webhook_with_dead_delivery(tenant)
    crm = crm_connection_with_dead_sync(tenant)
    return {
        **kb_objects(tenant),
        "crm_connection": crm.crm_connection,
        "crm_sync": crm.crm_sync,
        "webhook": webhooks.webhook,
        "webhook_delivery": webhooks.webhook_delivery,
        "sla_policy": tier_policy(tenant),
        "notification": notification,
        "delivery": delivery,
        "attachment": attachment,
        "export": job,
        "owner": owner,
        "member": agent,
        "api_key": api_key,
        "invitation": invitation,
        "customer": customer,
        "ticket": ticket,
    }


def _url(tenant_slug, route, objects):
    return BY_NAME[route].url(tenant_slug, objects)


def _snapshot(tenant):
    tenant = Tenant.objects.get(pk=tenant.pk)
    with tenant_context(tenant):
        audit = AuditLogEntry.objects.count()
    with tenant_context(tenant):
        tickets = sorted(
            Ticket.objects.values_list("number", "subject", "status", "assignee_id", "version")
        )
        customers = sorted(Customer.objects.values_list("public_id", "email", "name", "version"))
        comments = Comment.objects.count()
        attachments = sorted(
            Attachment.objects.values_list("public_id", "storage_key", "filename", "ticket_id")
        )
        exports = sorted(ExportJob.objects.values_list("public_id", "status"))
        notifications = sorted(Notification.objects.values_list("public_id", "read_at"))
        deliveries = sorted(EmailDelivery.objects.values_list("public_id", "status", "attempts"))
        preferences = sorted(
            NotificationPreference.objects.values_list("user_id", "kind", "enabled")
        )
        webhooks = sorted(
            WebhookEndpoint.objects.values_list(
                "public_id", "url", "events", "active", "include_internal", "version"
            )
        )
        webhook_secrets = sorted(
            (endpoint.secret, endpoint.previous_secret)
            for endpoint in WebhookEndpoint.objects.all()
        )
        webhook_deliveries = sorted(
            WebhookDelivery.objects.values_list("public_id", "status", "attempts")
        )
        webhook_attempts = WebhookAttempt.objects.count()
        crm_connections = sorted(
            (c.public_id, c.provider, c.base_url, c.credentials, c.enabled, c.version)
            for c in CrmConnection.objects.all()
        )
        crm_syncs = sorted(CrmSync.objects.values_list("public_id", "status", "attempts"))
        kb_categories = sorted(
            Category.objects.values_list("public_id", "name", "slug", "parent_id", "version")
        )
        kb_articles = sorted(
            Article.objects.values_list("public_id", "title", "slug", "body", "status", "version")
        )
        kb_slugs = sorted(ArticleSlug.objects.values_list("article_id", "slug"))
        kb_revisions = sorted(ArticleRevision.objects.values_list("public_id", "title"))
    return {
        "kb_categories": kb_categories,
        "kb_articles": kb_articles,
        "kb_slugs": kb_slugs,
        "kb_revisions": kb_revisions,
        "crm_connections": crm_connections,
        "crm_syncs": crm_syncs,
        "webhooks": webhooks,
        "webhook_secrets": webhook_secrets,
        "webhook_deliveries": webhook_deliveries,
        "webhook_attempts": webhook_attempts,
        "notifications": notifications,
        "deliveries": deliveries,
        "preferences": preferences,
        "attachments": attachments,
        "exports": exports,
        "tickets": tickets,
        "customers": customers,
        "comments": comments,
        "tenant": (tenant.name, tenant.is_active),
        "members": sorted(
            Membership.objects.filter(tenant=tenant).values_list("public_id", "role", "is_active")
        ),
        "keys": sorted(ApiKey.objects.filter(tenant=tenant).values_list("public_id", "revoked_at")),
        "invitations": sorted(
            Invitation.objects.filter(tenant=tenant).values_list(
                "public_id", "email", "role", "status", "token_hash", "expires_at"
            )
        ),
        "audit": audit,
    }


def _build_two_tenants():
    tenant = tenant_recipe.make(slug="alpha", name="Alpha Co")
    other_tenant = tenant_recipe.make(slug="bravo", name="Bravo Co")
    a, b = _populate(tenant, make_member), _populate(other_tenant, make_member)
    # Ticket numbers are per tenant (A has a #1 too): aim at a number only B has.
    with tenant_context(other_tenant):
        b["ticket"] = ticket_services.ticket_create(
            tenant=other_tenant, actor=Actor(), subject="Only B", customer_email="b@example.test"
        )
    return tenant, other_tenant, a, b


# The two populated tenants are built once for the module (tests/conftest.py module_world):
# every test runs in a savepoint inside the module's transaction and is rolled back, so each
# meets the world as built; `tenant` and `other_tenant` are that world's (no second alpha).
@pytest.fixture(scope="module")
def _two_tenants_world(django_db_setup, django_db_blocker):
    with module_world(django_db_blocker, _build_two_tenants) as world:
        yield world


@pytest.fixture
def _world(db, _two_tenants_world):
    return world_for_test(_two_tenants_world)


@pytest.fixture
def tenant(_world):
    return _world[0]


@pytest.fixture
def other_tenant(_world):
    return _world[1]


@pytest.fixture
def two_tenants(_world):
    return _world[2], _world[3]


def _call(client, method, url, body):
    return client.generic(method, url, json.dumps(body or {}), "application/json")


def _body(response):
    # HEAD answers with headers only.
    return response.content if response.request["REQUEST_METHOD"] == "HEAD" else response.json()


def _body_for(route):
    return resolve_body(BY_NAME[route].attack_body, {}) or {}


def _expected_body(method):
    return b"" if method == "HEAD" else NOT_FOUND


ROUTES = sorted(ISOLATION)
# Public routes answer another tenant's member like anyone (their own test below).
PUBLIC_ROUTE_NAMES = sorted({route for (route, _), kind in ISOLATION.items() if kind == "public"})
ROUTE_NAMES = sorted({route for route, _ in ISOLATION} - set(PUBLIC_ROUTE_NAMES))


def _methods(route: str, *kinds: str) -> list[str]:
    """The route's methods (attacked as one of `kinds`, when given)."""
    return sorted(
        m for (r, m), kind in ISOLATION.items() if r == route and kind in (kinds or {kind})
    )


# Each test sends every method of one route: a request into another tenant must change
# nothing, so they can share one world (the snapshot at the end says whether they did).


@pytest.mark.parametrize("route", ROUTE_NAMES)
def test_another_tenants_paths_are_404_like_an_unknown_tenant_and_change_nothing(
    route, two_tenants, tenant, other_tenant, api_client, api_key_client
):
    a, b = two_tenants
    owner = api_client(a["owner"])
    key, _ = api_key_client(tenant, Role.ADMIN)
    before = _snapshot(other_tenant)
    seen = {}

    for method in _methods(route):
        foreign = _call(owner, method, _url(other_tenant.slug, route, b), _body_for(route))
        unknown = _call(owner, method, _url("no-such-tenant", route, b), _body_for(route))
        by_key = _call(key, method, _url(other_tenant.slug, route, b), _body_for(route))
        seen[method] = [(r.status_code, _body(r)) for r in (foreign, unknown, by_key)]

    assert seen == {method: [(404, _expected_body(method))] * 3 for method in seen}
    assert _snapshot(other_tenant) == before


@pytest.mark.parametrize("route", PUBLIC_ROUTE_NAMES)
def test_a_public_route_answers_another_tenants_member_like_anyone_and_changes_nothing(
    route, two_tenants, tenant, other_tenant, api_client, api_key_client
):
    a, b = two_tenants
    callers = {
        "owner": api_client(a["owner"]),
        "key": api_key_client(tenant, Role.ADMIN)[0],
        "anonymous": APIClient(),
    }
    before = _snapshot(other_tenant)
    seen, unknown = {}, {}

    for method in _methods(route):
        answers = {
            name: _call(client, method, _url(other_tenant.slug, route, b), _body_for(route))
            for name, client in callers.items()
        }
        seen[method] = {name: (r.status_code, r.content) for name, r in answers.items()}
        missing = _call(callers["owner"], method, _url("no-such-tenant", route, b), None)
        unknown[method] = (missing.status_code, _body(missing))

    assert all(len(set(answers.values())) == 1 for answers in seen.values()), seen
    assert unknown == {method: (404, _expected_body(method)) for method in unknown}
    assert _snapshot(other_tenant) == before


OBJECT_ROUTES = [name for name in ROUTE_NAMES if _methods(name, "object")]


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_other_tenants_object_through_own_path_is_404_and_unchanged(
    route, two_tenants, tenant, other_tenant, api_client
):
    a, b = two_tenants
    client = api_client(a["owner"])
    before = _snapshot(other_tenant)
    seen = {}

    for method in _methods(route, "object"):
        response = _call(client, method, _url(tenant.slug, route, b), _body_for(route))
        seen[method] = (response.status_code, _body(response))

    assert seen == {method: (404, _expected_body(method)) for method in seen}
    assert _snapshot(other_tenant) == before


DESCRIBE_ROUTES = [name for name in ROUTE_NAMES if _methods(name, "describe")]
MISSING = {
    name: SimpleNamespace(public_id=uuid.uuid4(), number=987654)
    for name in (
        "attachment",
        "export",
        "member",
        "api_key",
        "customer",
        "invitation",
        "notification",
        "delivery",
        "sla_policy",
        "webhook",
        "webhook_delivery",
        "crm_connection",
        "crm_sync",
        "kb_category",
        "kb_article",
        "kb_revision",
        "kb_draft",
    )
} | {"ticket": SimpleNamespace(public_id=uuid.uuid4(), number=987654)}


@pytest.mark.parametrize("route", DESCRIBE_ROUTES)
def test_describing_another_tenants_object_answers_like_a_missing_one(
    route, two_tenants, tenant, other_tenant, api_client
):
    a, b = two_tenants
    client = api_client(a["owner"])
    before = _snapshot(other_tenant)
    foreign, missing = {}, {}

    for method in _methods(route, "describe"):
        for seen, objects in ((foreign, b), (missing, MISSING)):
            response = _call(client, method, _url(tenant.slug, route, objects), _body_for(route))
            seen[method] = (response.status_code, response.content)

    assert foreign == missing
    assert _snapshot(other_tenant) == before


LIST_ROUTES = [key for key in ROUTES if ISOLATION[key] == "list" and key[1] == "GET"]


@pytest.mark.parametrize(("route", "method"), LIST_ROUTES, ids=[f"{r}-{m}" for r, m in LIST_ROUTES])
def test_lists_contain_only_own_rows(route, method, two_tenants, tenant, other_tenant, api_client):
    a, _ = two_tenants
    client = api_client(a["owner"])
    with tenant_context(tenant):
        own_audit = {str(x) for x in AuditLogEntry.objects.values_list("public_id", flat=True)}
        own_customers = {str(x) for x in Customer.objects.values_list("public_id", flat=True)}
        own_tickets = set(Ticket.objects.values_list("number", flat=True))
        own_exports = {str(x) for x in ExportJob.objects.values_list("public_id", flat=True)}
        own_notifications = {
            str(x)
            for x in Notification.objects.filter(user=a["owner"].user).values_list(
                "public_id", flat=True
            )
        }
        own_deliveries = {str(x) for x in EmailDelivery.objects.values_list("public_id", flat=True)}
        own_policies = {str(x) for x in SlaPolicy.objects.values_list("public_id", flat=True)}
        own_webhooks = {str(x) for x in WebhookEndpoint.objects.values_list("public_id", flat=True)}
        own_crm = {str(x) for x in CrmConnection.objects.values_list("public_id", flat=True)}
        own_categories = {str(x) for x in Category.objects.values_list("public_id", flat=True)}
        own_articles = {str(x) for x in Article.objects.values_list("public_id", flat=True)}
    own = {
        "kb-category-list": own_categories,
        "kb-article-list": own_articles,
        "notification-list": own_notifications,
        "email-delivery-list": own_deliveries,
        "member-list": {str(m.public_id) for m in Membership.objects.filter(tenant=tenant)},
        "api-key-list": {str(k.public_id) for k in ApiKey.objects.filter(tenant=tenant)},
        "invitation-list": {str(i.public_id) for i in Invitation.objects.filter(tenant=tenant)},
        "audit-log-list": own_audit,
        "customer-list": own_customers,
        "ticket-list": own_tickets,
        "export-list": own_exports,
        "sla-policy-list": own_policies,
        "webhook-list": own_webhooks,
        "crm-connection-list": own_crm,
    }[route]

    response = client.get(_url(tenant.slug, route, {}), {"page_size": 100})
    ids = {row.get("id", row.get("number")) for row in response.json()["results"]}

    assert response.status_code == 200
    assert ids == own


CREATE_ROUTES = [key for key in ROUTES if ISOLATION[key] == "create"]


@pytest.mark.parametrize(
    ("route", "method"), CREATE_ROUTES, ids=[f"{r}-{m}" for r, m in CREATE_ROUTES]
)
def test_payload_tenant_fields_are_rejected(
    route, method, two_tenants, tenant, other_tenant, api_client
):
    a, _ = two_tenants
    client = api_client(a["owner"])
    before = (_snapshot(tenant), _snapshot(other_tenant))
    body = {**_body_for(route), "tenant": other_tenant.pk, "tenant_id": other_tenant.pk}

    response = _call(client, method, _url(tenant.slug, route, {}), body)

    assert response.status_code == 400
    assert set(field_errors(response)) == {"tenant", "tenant_id"}
    assert (_snapshot(tenant), _snapshot(other_tenant)) == before


def test_a_role_in_one_tenant_does_not_carry_into_another(member, api_client, tenant, other_tenant):
    owner_here = member(Role.OWNER)
    viewer_there = membership_recipe.make(
        user=owner_here.user, tenant=other_tenant, role=Role.VIEWER
    )
    client = api_client(owner_here)
    before = _snapshot(other_tenant)

    here = client.patch(f"/api/v1/t/{tenant.slug}/", {"name": "Mine"}, format="json")
    there = client.patch(f"/api/v1/t/{other_tenant.slug}/", {"name": "Theirs"}, format="json")
    keys_there = client.get(f"/api/v1/t/{other_tenant.slug}/api-keys/")

    assert viewer_there.role == Role.VIEWER
    assert here.status_code == 200
    assert (there.status_code, keys_there.status_code) == (403, 403)
    assert _snapshot(other_tenant) == before
