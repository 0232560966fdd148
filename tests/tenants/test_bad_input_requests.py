"""Hostile requests around the body: methods nobody handles are a 405 that writes nothing (404 on a
foreign tenant), HEAD and OPTIONS answer only what the role may do, malformed Authorization
headers are a 401, and a forged X-Forwarded-For never reaches the audit log.

The Django test client re-raises server errors, so a 500 fails these tests loudly.
"""

import json

import pytest
from rest_framework.test import APIClient

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.tenants.bad_input import snapshot

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
