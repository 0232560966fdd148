"""Hostile and sloppy bodies on every writable endpoint: always a 4xx, never a write, never a 500.

The Django test client re-raises server errors, so a 500 fails these tests loudly.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.conf import settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from tenants.context import tenant_context
from tenants.models import ApiKey, AuditLogEntry, Invitation, Membership, Role, Tenant, User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.invitations import invite
from tests.tenants.recipes import user_recipe

LONG_EMAIL = "a" * 288 + "@example.test"  # 301 characters
HUGE = "x" * 10_000


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


@pytest.fixture
def world(member, api_client, tenant):
    owner = member(Role.OWNER)
    agent = member(Role.AGENT)
    user_recipe.make(email="newcomer@example.test")
    _, token = invite(tenant, owner, "ivy@example.test")
    return SimpleNamespace(
        tenant=tenant,
        owner=owner,
        agent=agent,
        invitation_token=token,
        clients={"anon": APIClient(), "owner": api_client(owner)},
    )


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


# --- The control: a valid body works and changes something --------------------------------


@pytest.mark.parametrize("name", each_endpoint())
def test_valid_body_is_accepted_and_writes(world, name):
    before = snapshot(world)

    response = send(world, name, ENDPOINTS[name].valid(world))

    assert response.status_code == ENDPOINTS[name].success, response.content
    assert snapshot(world) != before


# --- Malformed JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"name": ', id="truncated"),
        pytest.param("{'name': 'x'}", id="single-quotes"),
        pytest.param('{"name": "x",}', id="trailing-comma"),
        pytest.param('{"name": NaN}', id="nan"),
        pytest.param(b'{"name": "\xff\xfe"}', id="invalid-utf8"),
        pytest.param("not json at all", id="prose"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_malformed_json_is_400_with_detail(world, name, body):
    before = snapshot(world)

    response = send_raw(world, name, body)

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"]
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([], id="empty-array"),
        pytest.param([{"name": "x", "role": "agent"}], id="array-of-object"),
        pytest.param("just a string", id="string"),
        pytest.param(5, id="number"),
        pytest.param(None, id="null"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_non_object_body_is_400(world, name, body):
    before = snapshot(world)

    response = send(world, name, body)

    assert response.status_code == 400
    assert "non_field_errors" in field_errors(response)
    assert snapshot(world) == before


@pytest.mark.parametrize("name", each_endpoint())
def test_unsupported_media_type_is_415(world, name):
    before = snapshot(world)

    response = send_raw(world, name, "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert snapshot(world) == before


# --- Wrong types ------------------------------------------------------------------------------

WRONG_TYPES = {
    "register": [
        ("email-int", "email", 5),
        ("email-null", "email", None),
        ("password-list", "password", []),
        ("name-list", "name", []),
        ("name-object", "name", {"first": "x"}),
        ("name-bool", "name", True),
    ],
    "token": [
        ("email-list", "email", []),
        ("password-object", "password", {}),
        ("password-bool", "password", False),
    ],
    "tenant-create": [
        ("slug-int", "slug", 5),
        ("name-list", "name", []),
        ("timezone-list", "timezone", ["UTC"]),
        ("settings-string", "settings", "x"),
        ("settings-list", "settings", []),
        ("settings-bool-maybe", "settings", {"help_center_enabled": "maybe"}),
    ],
    "tenant-patch": [
        ("name-list", "name", []),
        ("name-null", "name", None),
        ("timezone-int", "timezone", 5),
        ("settings-string", "settings", "x"),
        ("settings-null", "settings", None),
        ("settings-hours-word", "settings", {"unassigned_escalation_hours": "many"}),
    ],
    "invitation-create": [
        ("email-list", "email", []),
        ("role-int", "role", 5),
        ("role-list", "role", ["agent"]),
        ("is_senior-maybe", "is_senior", "maybe"),
        ("is_senior-list", "is_senior", []),
    ],
    "invitation-accept": [
        ("token-list", "token", []),
        ("token-object", "token", {}),
        ("token-null", "token", None),
        ("password-list", "password", []),
        ("name-list", "name", []),
        ("name-bool", "name", True),
    ],
    "member-patch": [
        ("role-int", "role", 5),
        ("role-null", "role", None),
        ("is_senior-maybe", "is_senior", "maybe"),
        ("is_active-object", "is_active", {}),
    ],
    "api-key-create": [
        ("name-list", "name", []),
        ("name-object", "name", {}),
        ("role-int", "role", 5),
    ],
}


@pytest.mark.parametrize(("name", "field", "value"), cases(WRONG_TYPES))
def test_wrong_type_is_400_naming_the_field(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert response.status_code == 400
    assert field in field_errors(response)
    assert snapshot(world) == before


def test_every_endpoint_has_wrong_type_cases():
    assert set(WRONG_TYPES) == set(ENDPOINTS)


# --- Over-long strings ------------------------------------------------------------------------

OVER_LONG = {
    "register": [
        ("name-10k", "name", HUGE),
        ("email-300", "email", LONG_EMAIL),
        ("password-10k", "password", HUGE),
    ],
    "token": [("email-300", "email", LONG_EMAIL), ("password-10k", "password", HUGE)],
    "tenant-create": [
        ("name-10k", "name", HUGE),
        ("slug-10k", "slug", "a" * 10_000),
        ("timezone-10k", "timezone", HUGE),
    ],
    "tenant-patch": [
        ("name-10k", "name", HUGE),
        ("timezone-10k", "timezone", HUGE),
        ("slug-10k", "slug", "a" * 10_000),
    ],
    "invitation-create": [("email-300", "email", LONG_EMAIL), ("role-10k", "role", HUGE)],
    "invitation-accept": [
        ("token-10k", "token", HUGE),
        ("password-10k", "password", HUGE),
        ("name-10k", "name", HUGE),
    ],
    "member-patch": [("role-10k", "role", HUGE)],
    "api-key-create": [("name-10k", "name", HUGE), ("role-10k", "role", HUGE)],
}


@pytest.mark.parametrize(("name", "field", "value"), cases(OVER_LONG))
def test_over_long_string_is_400_naming_the_field(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert response.status_code == 400
    assert field in field_errors(response)
    assert snapshot(world) == before


def test_every_endpoint_has_over_long_cases():
    assert set(OVER_LONG) == set(ENDPOINTS)


# --- Unknown fields (typos, mass assignment) --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("tenant", 2, id="tenant"),
        pytest.param("id", "00000000-0000-0000-0000-000000000001", id="id"),
        pytest.param("is_staff", True, id="is_staff"),
        pytest.param("Name", "case-typo", id="case-typo"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_unknown_field_is_400(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert response.status_code == 400
    assert field_errors(response)[field] == ["Unknown field."]
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("name", "body"),
    [
        pytest.param("tenant-create", {"settings": {"colour": "blue"}}, id="tenant-create"),
        pytest.param("tenant-patch", {"settings": {"colour": "blue"}}, id="tenant-patch"),
    ],
)
def test_unknown_settings_key_is_400(world, name, body):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, body))

    assert response.status_code == 400
    assert field_errors(response)["settings"]["colour"] == ["Unknown field."]
    assert snapshot(world) == before


# --- Size limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", each_endpoint())
def test_body_over_the_limit_is_413(world, name):
    before = snapshot(world)
    body = json.dumps(with_valid(world, name, {"name": "x" * settings.API_MAX_BODY_BYTES}))

    response = send_raw(world, name, body)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert snapshot(world) == before


@pytest.mark.parametrize("name", each_endpoint())
def test_invalid_content_length_is_400(world, name):
    before = snapshot(world)

    response = send_raw(world, name, json.dumps({}), CONTENT_LENGTH="lots")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert snapshot(world) == before


# --- Methods nobody handles -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("PUT", "/api/v1/t/{tenant}/", id="put-tenant"),
        pytest.param("POST", "/api/v1/t/{tenant}/", id="post-tenant"),
        pytest.param("PUT", "/api/v1/t/{tenant}/members/{member}/", id="put-member"),
        pytest.param("DELETE", "/api/v1/t/{tenant}/members/", id="delete-member-list"),
        pytest.param("POST", "/api/v1/t/{tenant}/members/", id="post-member-list"),
        pytest.param("PATCH", "/api/v1/t/{tenant}/invitations/", id="patch-invitation-list"),
        pytest.param("GET", "/api/v1/auth/invitations/accept/", id="get-invitation-accept"),
        pytest.param("DELETE", "/api/v1/t/{tenant}/api-keys/", id="delete-key-list"),
        pytest.param("POST", "/api/v1/t/{tenant}/audit-log/", id="post-audit-log"),
        pytest.param("PATCH", "/api/v1/t/{tenant}/audit-log/", id="patch-audit-log"),
        pytest.param("PUT", "/api/v1/auth/register/", id="put-register"),
    ],
)
def test_unhandled_method_is_405_and_writes_nothing(world, method, path):
    before = snapshot(world)
    client = world.clients["owner"]
    url = path.format(tenant=world.tenant.slug, member=world.agent.public_id)

    response = client.generic(method, url, json.dumps({"name": "x"}), "application/json")

    assert response.status_code == 405
    assert snapshot(world) == before


def test_unhandled_method_on_a_foreign_tenant_is_404(world, other_tenant):
    client = world.clients["owner"]

    response = client.put(f"/api/v1/t/{other_tenant.slug}/", {"name": "x"}, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        pytest.param(Role.VIEWER, "", 200, id="viewer-tenant-200"),
        pytest.param(Role.VIEWER, "members/", 200, id="viewer-members-200"),
        pytest.param(Role.AGENT, "api-keys/", 403, id="agent-api-keys-403"),
        pytest.param(Role.AGENT, "audit-log/", 403, id="agent-audit-log-403"),
        pytest.param(Role.ADMIN, "api-keys/", 200, id="admin-api-keys-200"),
    ],
)
def test_head_needs_the_read_capability(member, api_client, tenant, role, path, expected):
    client = api_client(member(role))

    response = client.head(f"/api/v1/t/{tenant.slug}/{path}")

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "path", "actions"),
    [
        pytest.param(Role.AGENT, "api-keys/", set(), id="agent-api-keys-nothing"),
        pytest.param(Role.ADMIN, "api-keys/", {"POST"}, id="admin-api-keys-post"),
        pytest.param(Role.VIEWER, "customers/", set(), id="viewer-customers-nothing"),
        pytest.param(Role.AGENT, "customers/", {"POST"}, id="agent-customers-post"),
        pytest.param(Role.SUPERVISOR, "", set(), id="supervisor-tenant-nothing"),
    ],
)
def test_options_describes_only_what_the_role_may_do(
    member, api_client, tenant, role, path, actions
):
    client = api_client(member(role))

    response = client.options(f"/api/v1/t/{tenant.slug}/{path}")

    assert response.status_code == 200
    assert set(response.json().get("actions", {})) == actions


# --- hostile headers and forms ------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        b"Bearer \xff\xfe\xfd",
        b"Api-Key \xff\xfe",
        b"Bearer",
        b"Api-Key a b",
        b"Bearer abc\x00def",
        b"Bearer \x00",
        b"Api-Key tdk_abc\x00_def",
        b"Api-Key tdk_\x00\x00_x",
        b"Bearer ab\x01cd",
        b"Api-Key tdk_abc_d\x7fe",
    ],
    ids=[
        "bearer-not-utf8",
        "api-key-not-ascii",
        "bearer-without-token",
        "api-key-two-parts",
        "bearer-nul-inside",
        "bearer-only-nul",
        "api-key-nul-in-prefix",
        "api-key-nul-prefix",
        "bearer-control-char",
        "api-key-del-char",
    ],
)
def test_malformed_authorization_header_is_401(tenant, header):
    client = APIClient()

    response = client.get(f"/api/v1/t/{tenant.slug}/", HTTP_AUTHORIZATION=header.decode("latin-1"))

    assert response.status_code == 401, response.content


@pytest.mark.parametrize(
    ("xff", "expected"),
    [("not-an-ip", "10.9.8.7"), ("198.51.100.4", "198.51.100.4"), ("", "10.9.8.7")],
    ids=["garbage", "valid-hop", "empty"],
)
def test_forwarded_for_is_validated_before_it_reaches_the_audit_log(
    settings, member, api_client, tenant, xff, expected
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = api_client(member(Role.OWNER))

    response = client.patch(
        f"/api/v1/t/{tenant.slug}/",
        {"name": "Via proxy"},
        format="json",
        REMOTE_ADDR="10.9.8.7",
        HTTP_X_FORWARDED_FOR=xff,
    )
    with tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="tenant.updated")

    assert response.status_code == 200, response.content
    assert entry.ip_address == expected


def test_form_with_too_many_fields_is_a_json_400(world):
    fields = "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    before = snapshot(world)

    response = send_raw(world, "invitation-create", fields, "application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert snapshot(world) == before


def test_absurdly_nested_json_is_a_400(world):
    before = snapshot(world)
    body = "[" * 100_000 + "]" * 100_000

    response = send_raw(world, "invitation-create", body)

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert snapshot(world) == before


# --- Lone UTF-16 surrogates -------------------------------------------------------------------


def _surrogate_bodies(valid: dict) -> list[tuple[str, dict]]:
    first = next(iter(valid))
    return [
        ("value", {**valid, first: "x\ud800y"}),
        ("low-surrogate-value", {**valid, first: "\udfff"}),
        ("key", {**valid, "\ud800": "x"}),
        ("nested", {**valid, first: ["a", {"b": "\udbff"}]}),
    ]


@pytest.mark.parametrize("position", ["value", "low-surrogate-value", "key", "nested"])
@pytest.mark.parametrize("name", each_endpoint())
def test_lone_surrogate_anywhere_is_a_parse_error(world, name, position):
    body = dict(_surrogate_bodies(ENDPOINTS[name].valid(world)))[position]
    before = snapshot(world)

    response = send(world, name, body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert "surrogate" in response.json()["detail"]
    assert snapshot(world) == before


def test_a_surrogate_pair_is_a_character_and_accepted(world):
    response = send(world, "tenant-patch", {"name": "Cheerful \ud83d\ude00 desk"})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Cheerful \U0001f600 desk"
