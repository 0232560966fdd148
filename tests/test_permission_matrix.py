"""Role x endpoint x method -> status, as explicit literal tables (DESIGN.md §4).

The tables are the per-app route lists (tests/<app>/routes.py, collected in tests/routes.py),
written by hand from the design, never derived from tenants.permissions.
"""

import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from rest_framework.test import APIClient

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import ApiKey, Invitation, Membership, Role, Tenant, TenantModel
from tests.conftest import make_member, module_world, world_for_test
from tests.integrations.worlds import crm_connection_with_dead_sync, webhook_with_dead_delivery
from tests.knowledge_base.worlds import kb_objects
from tests.notifications.recipes import email_delivery_recipe, notification_recipe
from tests.route_table import ACTORS, Upload, resolve_body
from tests.routes import ALL_ROUTES, HOW_TO_FIX, missing_and_extra
from tests.tenant_routes import DESCRIBE_METHODS, tenant_routes_by_app
from tests.tenants.recipes import tenant_recipe
from tests.tickets.worlds import ticket_with_attachment_and_export, tier_policy
from tickets import services as ticket_services

# (url name, method) -> its row of tests/<app>/routes.py (expected: one status per ACTORS).
ROUTES = {route.key: route for route in ALL_ROUTES}


def test_every_tenant_route_is_in_the_permission_matrix():
    problems = missing_and_extra(tenant_routes_by_app())
    assert not problems, f"{HOW_TO_FIX}: {problems}"


def _build_world(tenant):
    """A tenant with a target member, a target API key, a pending invitation, a customer
    without tickets, a ticket (with an attachment), a second ticket to merge into, a
    finished export, a webhook endpoint with a dead delivery and the CRM connection with a dead
    sync: the objects the routes' paths and bodies name."""
    target = make_member(Role.AGENT, tenant=tenant)
    admin = make_member(Role.ADMIN, tenant=tenant)
    admin_actor = Actor(user=admin.user, role=admin.role)
    api_key, _ = services.api_key_create(tenant=tenant, actor=admin_actor, name="t", role="agent")
    invitation = services.invitation_create(
        tenant=tenant, actor=admin_actor, email="invited@example.test", role=Role.AGENT
    )
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
    with tenant_context(tenant):
        notification = notification_recipe.make(tenant=tenant, user=target.user)
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
        "member": target,
        "api_key": api_key,
        "invitation": invitation,
        "customer": lonely,
        "merge_target": merge_target,
        "ticket": made.ticket,
        "attachment": made.attachment,
        "export": made.export,
    }


# The tenant, the other tenant (the non-member's) and the world are built once for the module
# (tests/conftest.py module_world): each test runs in a savepoint inside the module's
# transaction, rolled back afterwards, so every row meets the world as built; `tenant` and
# `other_tenant` are that world's (no second alpha or bravo).
@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    def build():
        tenant = tenant_recipe.make(slug="alpha", name="Alpha Co")
        other_tenant = tenant_recipe.make(slug="bravo", name="Bravo Co")
        return tenant, other_tenant, _build_world(tenant)

    with module_world(django_db_blocker, build) as world:
        yield world


@pytest.fixture
def _world(db, _module_world):
    return world_for_test(_module_world)


@pytest.fixture
def tenant(_world):
    return _world[0]


@pytest.fixture
def other_tenant(_world):
    return _world[1]


@pytest.fixture
def world(_world):
    return _world[2]


def _client_for(actor, *, tenant, other_tenant, member, api_client, api_key_client):
    if actor == "anonymous":
        return APIClient()
    if actor == "non-member":
        return api_client(member(Role.OWNER, tenant=other_tenant))
    if actor.startswith("key-"):
        client, _ = api_key_client(tenant, actor.removeprefix("key-"))
        return client
    return api_client(member(actor))


def _send(client, method, url, body):
    if isinstance(body, Upload) and method == "POST":
        upload = SimpleUploadedFile(body.name, body.content, body.content_type)
        return client.post(url, {"file": upload}, format="multipart")
    # Bodies travel as JSON for every other request (a GET ignores its body; as a query
    # string it would act as a filter).
    plain = body if isinstance(body, dict) else {}
    return client.generic(method, url, json.dumps(plain), "application/json")


ROWS = [
    pytest.param(route.name, route.method, route.expected, id=f"{route.name}-{route.method}")
    for route in ALL_ROUTES
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
    row = ROUTES[(route, method)]
    url, body = row.url(tenant.slug, world), resolve_body(row.body, world)
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
        if issubclass(model, TenantModel)
        and model._meta.app_label
        in (
            "tenants",
            "tickets",
            "knowledge_base",
            "notifications",
            "integrations",
        )
    ]
    digests += [
        _DIGEST.format(model._meta.db_table, " WHERE x.tenant_id = %(tenant)s")
        for model in (Membership, ApiKey, Invitation)
    ]
    digests.append(_DIGEST.format(Tenant._meta.db_table, " WHERE x.id = %(tenant)s"))
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(f"SELECT concat_ws(',', {', '.join(digests)})", {"tenant": tenant.pk})
        return cursor.fetchone()[0]
