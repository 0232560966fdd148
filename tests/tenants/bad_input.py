"""The writable endpoints the bad-input tests (tests/tenants/test_bad_input_*.py) send hostile
bodies to, each with a valid body and its success status, and the means to send a body and to
snapshot everything a request could write. The `world` they act in is a fixture in conftest.py."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from knox.models import AuthToken

from tenants.context import tenant_context
from tenants.models import ApiKey, AuditLogEntry, Invitation, Membership, Tenant, User
from tests.conftest import PASSWORD


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{tenant}" and "{member}" are filled in per test
    auth: str  # "anon" or "owner"
    valid: Callable[[SimpleNamespace], dict]
    success: int


ENDPOINTS = {
    "register": Endpoint(
        "POST",
        "/api/v1/auth/register/",
        "anon",
        lambda w: {"email": "fresh@example.test", "password": "plum-otter-4471", "name": "Fresh"},
        202,
    ),
    "token": Endpoint(
        "POST",
        "/api/v1/auth/token/",
        "anon",
        lambda w: {"email": w.owner.user.email, "password": PASSWORD},
        200,
    ),
    "tenant-create": Endpoint(
        "POST", "/api/v1/t/", "owner", lambda w: {"slug": "charlie", "name": "Charlie"}, 201
    ),
    "tenant-patch": Endpoint(
        "PATCH", "/api/v1/t/{tenant}/", "owner", lambda w: {"name": "Renamed"}, 200
    ),
    "invitation-create": Endpoint(
        "POST",
        "/api/v1/t/{tenant}/invitations/",
        "owner",
        lambda w: {"email": "newcomer@example.test", "role": "agent"},
        201,
    ),
    "invitation-accept": Endpoint(
        "POST",
        "/api/v1/auth/invitations/accept/",
        "anon",
        lambda w: {"token": w.invitation_token, "password": "plum-otter-4471", "name": "Ivy"},
        201,
    ),
    "member-patch": Endpoint(
        "PATCH",
        "/api/v1/t/{tenant}/members/{member}/",
        "owner",
        lambda w: {"role": "viewer"},
        200,
    ),
    "api-key-create": Endpoint(
        "POST",
        "/api/v1/t/{tenant}/api-keys/",
        "owner",
        lambda w: {"name": "CI", "role": "agent"},
        201,
    ),
}


def each_endpoint():
    return [pytest.param(name, id=name) for name in ENDPOINTS]


def cases(table: dict[str, list[tuple]]) -> list:
    """Flatten {endpoint: [(id, *values)]} into params with ids like "register-name-list"."""
    return [
        pytest.param(name, *values, id=f"{name}-{case_id}")
        for name, rows in table.items()
        for case_id, *values in rows
    ]


def send_raw(world, name: str, body, content_type: str = "application/json", **extra):
    endpoint = ENDPOINTS[name]
    path = endpoint.path.format(tenant=world.tenant.slug, member=world.agent.public_id)
    client = world.clients[endpoint.auth]
    return client.generic(endpoint.method, path, body, content_type=content_type, **extra)


def send(world, name: str, data):
    return send_raw(world, name, json.dumps(data))


def with_valid(world, name: str, fields: dict) -> dict:
    return {**ENDPOINTS[name].valid(world), **fields}


def snapshot(world) -> dict:
    world.tenant.refresh_from_db()
    world.agent.refresh_from_db()
    with tenant_context(world.tenant):
        audit_entries = AuditLogEntry.objects.count()
    return {
        "users": User.objects.count(),
        "tokens": AuthToken.objects.count(),
        "tenants": Tenant.objects.count(),
        "memberships": Membership.objects.count(),
        "invitations": sorted(Invitation.objects.values_list("email", "status", "token_hash")),
        "api_keys": ApiKey.objects.count(),
        "audit_entries": audit_entries,
        "tenant": (world.tenant.name, world.tenant.timezone, world.tenant.settings),
        "agent": (world.agent.role, world.agent.is_senior, world.agent.is_active),
    }
