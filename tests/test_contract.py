"""The schema tells the truth: Schemathesis generates requests from the published OpenAPI
schema (valid ones and schema-violating ones) and sends them, in-process, to the WSGI app —
as a tenant admin, as a viewer (in a tenant of their own) and anonymously. Every response must
be no server error, a documented status code, a documented content type, a body matching the
documented schema, and carry the documented headers.

Not checked: that schema-violating requests are refused. DRF accepts more than the schema
promises in places (a boolean as "yes", a number as a string), which is lenient, not wrong.

Bounded: a fixed number of examples per operation and a deterministic seed, so a run costs
the same every time and a failure reproduces.
"""

import json
import shutil

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.conftest import make_member, module_world, world_for_test
from tests.integrations.worlds import crm_connection_with_dead_sync, webhook_with_dead_delivery
from tests.knowledge_base.worlds import kb_objects
from tests.notifications.recipes import email_delivery_recipe, notification_recipe
from tests.openapi import generated_schema
from tests.tenants.recipes import tenant_recipe
from tests.tickets.worlds import ticket_with_attachment_and_export, tier_policy

# Raw emails (the inbound endpoint's message/rfc822 bodies) go out as bytes, like any binary.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")

SLUG = "contract"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]

_spec = json.loads(json.dumps(generated_schema()))
_config = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "all", "max-examples": 5, "deterministic": True},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(_spec, config=_config)
schema.app = application


@pytest.fixture(autouse=True)
def _in_process_connections():
    # Called as a WSGI app, Django closes the database connection when a request finishes;
    # the test's transaction lives on that connection (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _build_contract_world():
    """A tenant of its own with one of each object, and the ids path parameters aim at."""
    tenant = tenant_recipe.make(slug=SLUG, name="Contract Co")
    member = make_member
    admin = member(Role.ADMIN, tenant=tenant)
    viewer = member(Role.VIEWER, tenant=tenant)
    agent = member(Role.AGENT, tenant=tenant)
    api_key, _ = services.api_key_create(
        tenant=tenant, actor=Actor(user=admin.user, role=Role.ADMIN), name="k", role="agent"
    )
    made = ticket_with_attachment_and_export(
        tenant, subject="Contract", customer_email="c@example.test"
    )
    ticket, attachment, job = made.ticket, made.attachment, made.export
    invitation = services.invitation_create(
        tenant=tenant,
        actor=Actor(user=admin.user, role=Role.ADMIN),
        email="invitee@example.test",
        role=Role.AGENT,
    )
    with tenant_context(tenant):
        notification = notification_recipe.make(tenant=tenant, user=admin.user)
        delivery = email_delivery_recipe.make(tenant=tenant, status="dead", attempts=6)
    webhooks = webhook_with_dead_delivery(tenant)
    crm = crm_connection_with_dead_sync(tenant)
    kb = kb_objects(tenant)
    ids = {
        "categories": kb["kb_category"].public_id,
        "articles": kb["kb_article"].public_id,
        "revisions": kb["kb_revision"].public_id,
        "crm-connections": crm.crm_connection.public_id,
        "crm-syncs": crm.crm_sync.public_id,
        "webhooks": webhooks.webhook.public_id,
        "webhook-deliveries": webhooks.webhook_delivery.public_id,
        "notifications": notification.public_id,
        "deliveries": delivery.public_id,
        "invitations": invitation.public_id,
        "customers": ticket.requester.public_id,
        "members": agent.public_id,
        "api-keys": api_key.public_id,
        "attachments": attachment.public_id,
        "exports": job.public_id,
        "sla-policies": tier_policy(tenant).public_id,
    }
    return {"admin": admin, "viewer": viewer, "ticket": ticket.number, "ids": ids}


# The world is built once for the module (tests/conftest.py module_world): each test runs in a
# savepoint inside the module's transaction, rolled back afterwards, so every operation meets
# the world as built (its examples share it, as before). Its files are built into a directory
# of the module's and copied into each test's own media directory.
@pytest.fixture(scope="module")
def _contract_world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("contract-media")

    def build():
        with override_settings(MEDIA_ROOT=str(media)):
            return _build_contract_world()

    with module_world(django_db_blocker, build) as world:
        yield media, world


@pytest.fixture
def contract_world(db, _contract_world, settings, tmp_path):
    media, world = _contract_world
    settings.MEDIA_ROOT = str(tmp_path / "media")
    shutil.copytree(media, settings.MEDIA_ROOT)
    return world_for_test(world)


def _aim(case, world) -> None:
    """Point generated path parameters into the contract tenant, and (for about half of the
    generated values) at objects that exist there, so successes are checked too."""
    params = case.path_parameters or {}
    if "tenant_slug" in params:
        params["tenant_slug"] = SLUG
    if str(params.get("number", "1"))[-1:] in "02468":
        params["number"] = world["ticket"]
    if "id" in params and str(params["id"])[-1:] in "02468acegikmoqsuwy":
        # The collection is the path segment just before {id} (webhooks/{id}/deliveries/ is
        # a webhook's id, notifications/deliveries/{id}/ an email delivery's).
        parts = case.path.split("/")
        collection = parts[parts.index("{id}") - 1]
        params["id"] = world["ids"][collection]
        if "revision_id" in params:  # kb/articles/{id}/revisions/{revision_id}/: that article's
            params["revision_id"] = world["ids"]["revisions"]


def _call(case, world, role):
    _aim(case, world)
    headers = {}
    if role is not None:
        _, token = services.auth_token_create(user=world[role].user)
        headers["Authorization"] = f"Bearer {token}"
    case.call_and_validate(headers=headers, checks=CHECKS)


# The fixture's data is built once per operation and shared by its examples on purpose.
_shared_world = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@schema.parametrize()
@_shared_world
def test_schema_holds_for_an_admin(case, contract_world):
    _call(case, contract_world, "admin")


@schema.parametrize()
@_shared_world
def test_schema_holds_for_a_viewer(case, contract_world):
    _call(case, contract_world, "viewer")


@schema.parametrize()
@_shared_world
def test_schema_holds_for_an_anonymous_caller(case, contract_world):
    _call(case, contract_world, None)
