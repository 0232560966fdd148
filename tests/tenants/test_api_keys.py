import pytest
from rest_framework.test import APIClient

from tenants.models import ApiKey, Invitation, Role
from tests.errors import field_errors
from tests.tenants.helpers import audit_log_rows


def keys_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/api-keys/"


def key_url(api_key) -> str:
    return f"/api/v1/t/{api_key.tenant.slug}/api-keys/{api_key.public_id}/"


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def audit_rows(tenant, action: str) -> list[dict]:
    return audit_log_rows(
        tenant,
        action,
        fields=(
            "target_type",
            "target_id",
            "actor_label",
            "before",
            "after",
        ),
    )


@pytest.fixture
def create_key(admin_client, tenant):
    """create_key(role) -> (raw key, ApiKey), created through the API by an admin."""

    def make(role: str):
        response = admin_client.post(
            keys_url(tenant), {"name": f"{role} integration", "role": role}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        return body["key"], ApiKey.objects.get(public_id=body["id"])

    return make


# --- POST api-keys/ ---------------------------------------------------------------------------


def test_create_key_returns_201_with_the_key_once(admin_client, admin, tenant):
    response = admin_client.post(
        keys_url(tenant), {"name": "Zapier", "role": "agent"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"].startswith("tdk_")
    assert (body["name"], body["role"], body["created_by"]) == ("Zapier", "agent", admin.user.email)
    assert body["last_used_at"] is None
    assert body["revoked_at"] is None
    api_key = ApiKey.objects.get(public_id=body["id"])
    assert api_key.tenant_id == tenant.pk
    assert body["key"] not in api_key.key_hash
    assert body["prefix"] == api_key.prefix


def test_create_key_is_audited(admin_client, admin, tenant):
    response = admin_client.post(
        keys_url(tenant), {"name": "Zapier", "role": "viewer"}, format="json"
    )

    assert audit_rows(tenant, "api_key.created") == [
        {
            "target_type": "api_key",
            "target_id": response.json()["id"],
            "actor_label": admin.user.email,
            "before": None,
            "after": {"name": "Zapier", "role": "viewer"},
        }
    ]


@pytest.mark.parametrize(
    "role",
    [
        pytest.param("owner", id="owner"),
        pytest.param("superuser", id="unknown"),
    ],
)
def test_create_key_with_forbidden_role_is_400(admin_client, tenant, role):
    response = admin_client.post(keys_url(tenant), {"name": "Bad", "role": role}, format="json")

    assert response.status_code == 400
    assert "role" in field_errors(response)
    assert not ApiKey.objects.filter(tenant=tenant).exists()
    assert audit_rows(tenant, "api_key.created") == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.OWNER, 201, id="owner-201"),
        pytest.param(Role.ADMIN, 201, id="admin-201"),
        pytest.param(Role.SUPERVISOR, 403, id="supervisor-403"),
        pytest.param(Role.AGENT, 403, id="agent-403"),
        pytest.param(Role.VIEWER, 403, id="viewer-403"),
    ],
)
def test_create_key_by_role(member, api_client, tenant, role, expected):
    caller = member(role)

    response = api_client(caller).post(
        keys_url(tenant), {"name": "Key", "role": "agent"}, format="json"
    )

    assert response.status_code == expected, response.content
    assert ApiKey.objects.filter(tenant=tenant).exists() is (expected == 201)


def test_list_keys_never_shows_the_key_or_its_hash(admin_client, create_key, tenant):
    raw_key, api_key = create_key(Role.AGENT)

    response = admin_client.get(keys_url(tenant))

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [row["id"] for row in results] == [str(api_key.public_id)]
    assert "key" not in results[0]
    assert "key_hash" not in results[0]
    assert raw_key not in response.content.decode()
    assert api_key.key_hash not in response.content.decode()


def test_list_keys_shows_only_this_tenant(
    admin_client, create_key, api_key_client, tenant, other_tenant
):
    _, own = create_key(Role.VIEWER)
    _, foreign = api_key_client(other_tenant, Role.ADMIN)

    response = admin_client.get(keys_url(tenant))

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [str(own.public_id)]
    assert str(foreign.public_id) not in ids


def test_list_keys_as_agent_is_403(member, api_client, tenant):
    response = api_client(member(Role.AGENT)).get(keys_url(tenant))

    assert response.status_code == 403


# --- Authenticating with a key ----------------------------------------------------------------


def test_key_authenticates_on_its_own_tenant(create_key, tenant):
    raw_key, _ = create_key(Role.VIEWER)

    response = key_client(raw_key).get(f"/api/v1/t/{tenant.slug}/")

    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "alpha"


def test_key_on_another_tenant_path_is_404(create_key, member, other_tenant):
    raw_key, _ = create_key(Role.ADMIN)
    member(Role.AGENT, tenant=other_tenant)

    client = key_client(raw_key)

    assert client.get(f"/api/v1/t/{other_tenant.slug}/").status_code == 404
    assert client.get(f"/api/v1/t/{other_tenant.slug}/members/").status_code == 404


def test_agent_key_reads_members_but_cannot_invite(create_key, tenant):
    raw_key, _ = create_key(Role.AGENT)
    client = key_client(raw_key)

    listing = client.get(f"/api/v1/t/{tenant.slug}/members/")
    inviting = client.post(
        f"/api/v1/t/{tenant.slug}/invitations/",
        {"email": "newcomer@example.test", "role": "agent"},
        format="json",
    )

    assert listing.status_code == 200, listing.content
    assert inviting.status_code == 403
    assert not Invitation.objects.exists()


def test_admin_key_changes_a_member_and_is_the_audited_actor(create_key, member, tenant):
    raw_key, api_key = create_key(Role.ADMIN)
    agent = member(Role.AGENT)

    response = key_client(raw_key).patch(
        f"/api/v1/t/{tenant.slug}/members/{agent.public_id}/", {"role": "viewer"}, format="json"
    )

    assert response.status_code == 200, response.content
    agent.refresh_from_db()
    assert agent.role == Role.VIEWER
    assert [row["actor_label"] for row in audit_rows(tenant, "member.updated")] == [
        f"api-key:{api_key.name} ({api_key.prefix})"
    ]


def test_admin_key_cannot_grant_owner(create_key, member, tenant):
    raw_key, _ = create_key(Role.ADMIN)
    agent = member(Role.AGENT)

    response = key_client(raw_key).patch(
        f"/api/v1/t/{tenant.slug}/members/{agent.public_id}/", {"role": "owner"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "owner_required"
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), id="last-char"),
        pytest.param(lambda k: k + "x", id="appended"),
        pytest.param(lambda k: k[:-1], id="truncated"),
        pytest.param(lambda k: "xyz" + k[3:], id="wrong-scheme"),
        pytest.param(lambda k: "garbage", id="garbage"),
    ],
)
def test_tampered_key_is_401(create_key, tenant, mutate):
    raw_key, _ = create_key(Role.ADMIN)

    response = key_client(mutate(raw_key)).get(f"/api/v1/t/{tenant.slug}/")

    assert response.status_code == 401


def test_malformed_api_key_header_is_401(tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key two parts")

    response = client.get(f"/api/v1/t/{tenant.slug}/")

    assert response.status_code == 401


def test_last_used_at_is_set_after_use(create_key, tenant):
    raw_key, api_key = create_key(Role.VIEWER)
    assert api_key.last_used_at is None

    key_client(raw_key).get(f"/api/v1/t/{tenant.slug}/")

    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_last_used_at_stays_empty_after_a_failed_use(create_key, tenant):
    raw_key, api_key = create_key(Role.VIEWER)

    key_client(raw_key[:-1]).get(f"/api/v1/t/{tenant.slug}/")

    api_key.refresh_from_db()
    assert api_key.last_used_at is None


# --- DELETE api-keys/<id>/ --------------------------------------------------------------------


def test_revoke_key_returns_204_and_the_key_stops_working(admin_client, create_key, tenant):
    raw_key, api_key = create_key(Role.AGENT)
    client = key_client(raw_key)
    assert client.get(f"/api/v1/t/{tenant.slug}/").status_code == 200

    response = admin_client.delete(key_url(api_key))

    assert response.status_code == 204, response.content
    assert client.get(f"/api/v1/t/{tenant.slug}/").status_code == 401
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_revoke_key_is_audited(admin_client, admin, create_key, tenant):
    _, api_key = create_key(Role.AGENT)

    admin_client.delete(key_url(api_key))

    assert audit_rows(tenant, "api_key.revoked") == [
        {
            "target_type": "api_key",
            "target_id": str(api_key.public_id),
            "actor_label": admin.user.email,
            "before": {"revoked": False},
            "after": {"revoked": True},
        }
    ]


def test_revoked_key_stays_listed_with_revoked_at(admin_client, create_key, tenant):
    _, api_key = create_key(Role.AGENT)
    admin_client.delete(key_url(api_key))

    response = admin_client.get(keys_url(tenant))

    assert [row["revoked_at"] is not None for row in response.json()["results"]] == [True]


def test_revoke_twice_is_409(admin_client, create_key, tenant):
    _, api_key = create_key(Role.AGENT)
    admin_client.delete(key_url(api_key))

    response = admin_client.delete(key_url(api_key))

    assert response.status_code == 409
    assert response.json()["code"] == "api_key_revoked"
    assert len(audit_rows(tenant, "api_key.revoked")) == 1


def test_revoke_key_by_agent_is_403_and_key_keeps_working(member, api_client, create_key, tenant):
    raw_key, api_key = create_key(Role.AGENT)

    response = api_client(member(Role.AGENT)).delete(key_url(api_key))

    assert response.status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert key_client(raw_key).get(f"/api/v1/t/{tenant.slug}/").status_code == 200


def test_revoke_key_of_another_tenant_is_404(admin_client, api_key_client, tenant, other_tenant):
    foreign_client, foreign = api_key_client(other_tenant, Role.AGENT)

    response = admin_client.delete(f"{keys_url(tenant)}{foreign.public_id}/")

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
    assert foreign_client.get(f"/api/v1/t/{other_tenant.slug}/").status_code == 200


def test_admin_key_revokes_itself_then_gets_401(create_key, tenant):
    raw_key, api_key = create_key(Role.ADMIN)
    client = key_client(raw_key)

    response = client.delete(key_url(api_key))

    assert response.status_code == 204, response.content
    assert client.get(f"/api/v1/t/{tenant.slug}/").status_code == 401
