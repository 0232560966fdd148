import pytest

from tenants.models import Role
from tests.errors import field_errors
from tests.tenants.helpers import audit_log_rows

DEFAULT_SETTINGS = {
    "assignment_strategy": "manual",
    "unassigned_escalation_hours": 48,
    "help_center_enabled": True,
    "auto_assign": False,
    "search_language": "english",
}


def tenant_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/"


def audit_rows(tenant, action: str) -> list[dict]:
    return audit_log_rows(
        tenant,
        action,
        fields=(
            "action",
            "target_type",
            "target_id",
            "actor_label",
            "before",
            "after",
        ),
    )


# --- GET ------------------------------------------------------------------------------------


def test_get_tenant_shows_default_settings(owner_client, tenant):
    response = owner_client.get(tenant_url(tenant))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["slug"] == "alpha"
    assert body["name"] == "Alpha Co"
    assert body["timezone"] == "UTC"
    assert body["settings"] == DEFAULT_SETTINGS


def test_get_tenant_as_member_of_another_tenant_is_404(member, api_client, tenant, other_tenant):
    outsider = member(Role.OWNER, tenant=other_tenant)

    response = api_client(outsider).get(tenant_url(tenant))

    assert response.status_code == 404


def test_get_unknown_tenant_is_404_like_a_foreign_one(owner_client):
    response = owner_client.get("/api/v1/t/no-such-tenant/")

    assert response.status_code == 404


def test_get_tenant_without_credentials_is_401(anon_client, tenant):
    response = anon_client.get(tenant_url(tenant))

    assert response.status_code == 401


# --- PATCH: permissions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.OWNER, 200, id="owner-200"),
        pytest.param(Role.ADMIN, 200, id="admin-200"),
        pytest.param(Role.SUPERVISOR, 403, id="supervisor-403"),
        pytest.param(Role.AGENT, 403, id="agent-403"),
        pytest.param(Role.VIEWER, 403, id="viewer-403"),
    ],
)
def test_patch_tenant_by_role(member, api_client, tenant, role, expected):
    caller = member(role)

    response = api_client(caller).patch(tenant_url(tenant), {"name": "Renamed"}, format="json")

    assert response.status_code == expected, response.content
    tenant.refresh_from_db()
    assert (tenant.name == "Renamed") is (expected == 200)


def test_patch_tenant_by_non_member_is_404_and_changes_nothing(
    member, api_client, tenant, other_tenant
):
    outsider = member(Role.OWNER, tenant=other_tenant)

    response = api_client(outsider).patch(tenant_url(tenant), {"name": "Hijacked"}, format="json")

    assert response.status_code == 404
    tenant.refresh_from_db()
    assert tenant.name == "Alpha Co"


# --- PATCH: fields ----------------------------------------------------------------------------


def test_patch_name_and_timezone(owner_client, tenant):
    response = owner_client.patch(
        tenant_url(tenant), {"name": "Alpha Inc", "timezone": "Europe/Paris"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Alpha Inc"
    assert response.json()["timezone"] == "Europe/Paris"
    tenant.refresh_from_db()
    assert (tenant.name, tenant.timezone) == ("Alpha Inc", "Europe/Paris")


def test_patch_invalid_timezone_is_400_and_changes_nothing(owner_client, tenant):
    response = owner_client.patch(
        tenant_url(tenant), {"name": "Alpha Inc", "timezone": "Mars/Olympus_Mons"}, format="json"
    )

    assert response.status_code == 400
    assert "timezone" in field_errors(response)
    tenant.refresh_from_db()
    assert (tenant.name, tenant.timezone) == ("Alpha Co", "UTC")
    assert audit_rows(tenant, "tenant.updated") == []


def test_patch_settings_merges_key_by_key(owner_client, tenant):
    first = owner_client.patch(
        tenant_url(tenant), {"settings": {"help_center_enabled": False}}, format="json"
    )
    second = owner_client.patch(
        tenant_url(tenant), {"settings": {"unassigned_escalation_hours": 12}}, format="json"
    )

    assert first.status_code == 200, first.content
    assert second.status_code == 200, second.content
    assert second.json()["settings"] == {
        "assignment_strategy": "manual",
        "unassigned_escalation_hours": 12,
        "help_center_enabled": False,
        "auto_assign": False,
        "search_language": "english",
    }
    tenant.refresh_from_db()
    assert tenant.settings == {"help_center_enabled": False, "unassigned_escalation_hours": 12}


@pytest.mark.parametrize(
    ("settings_patch", "field"),
    [
        pytest.param({"color": "blue"}, "color", id="unknown-key"),
        pytest.param({"unassigned_escalation_hours": 0}, "unassigned_escalation_hours", id="0h"),
        pytest.param(
            {"unassigned_escalation_hours": 721}, "unassigned_escalation_hours", id="721h"
        ),
        pytest.param(
            {"unassigned_escalation_hours": -5}, "unassigned_escalation_hours", id="negative-h"
        ),
        pytest.param({"assignment_strategy": "random"}, "assignment_strategy", id="bad-strategy"),
        pytest.param({"search_language": "klingon"}, "search_language", id="unknown-language"),
        pytest.param({"search_language": "English"}, "search_language", id="language-case"),
        pytest.param({"search_language": None}, "search_language", id="null-language"),
    ],
)
def test_patch_invalid_settings_is_400_and_changes_nothing(
    owner_client, tenant, settings_patch, field
):
    response = owner_client.patch(tenant_url(tenant), {"settings": settings_patch}, format="json")

    assert response.status_code == 400
    assert field in field_errors(response)["settings"]
    tenant.refresh_from_db()
    assert tenant.settings == {}
    assert audit_rows(tenant, "tenant.updated") == []


@pytest.mark.parametrize(
    "hours",
    [pytest.param(1, id="min-1h"), pytest.param(720, id="max-720h")],
)
def test_patch_escalation_hours_at_the_bounds_is_accepted(owner_client, tenant, hours):
    response = owner_client.patch(
        tenant_url(tenant), {"settings": {"unassigned_escalation_hours": hours}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["settings"]["unassigned_escalation_hours"] == hours


def test_patch_slug_change_is_400_and_slug_unchanged(owner_client, tenant):
    response = owner_client.patch(
        tenant_url(tenant), {"slug": "charlie", "name": "Charlie"}, format="json"
    )

    assert response.status_code == 400
    assert "slug" in field_errors(response)
    tenant.refresh_from_db()
    assert (tenant.slug, tenant.name) == ("alpha", "Alpha Co")
    assert owner_client.get("/api/v1/t/charlie/").status_code == 404


def test_patch_same_slug_is_accepted(owner_client, tenant):
    response = owner_client.patch(
        tenant_url(tenant), {"slug": "alpha", "name": "Alpha Two"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "alpha"
    assert response.json()["name"] == "Alpha Two"


# --- PATCH: audit -----------------------------------------------------------------------------


def test_patch_writes_one_audit_entry_with_only_changed_fields(owner_client, owner, tenant):
    response = owner_client.patch(
        tenant_url(tenant),
        {"name": "Alpha Inc", "timezone": "UTC", "settings": {"help_center_enabled": False}},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert audit_rows(tenant, "tenant.updated") == [
        {
            "action": "tenant.updated",
            "target_type": "tenant",
            "target_id": "alpha",
            "actor_label": owner.user.email,
            "before": {"name": "Alpha Co", "settings": {}},
            "after": {"name": "Alpha Inc", "settings": {"help_center_enabled": False}},
        }
    ]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty"),
        pytest.param({"name": "Alpha Co", "timezone": "UTC"}, id="same-values"),
        pytest.param({"slug": "alpha"}, id="same-slug"),
    ],
)
def test_noop_patch_writes_no_audit_entry(owner_client, tenant, body):
    response = owner_client.patch(tenant_url(tenant), body, format="json")

    assert response.status_code == 200, response.content
    assert audit_rows(tenant, "tenant.updated") == []


def test_noop_settings_patch_writes_no_audit_entry(owner_client, tenant):
    owner_client.patch(tenant_url(tenant), {"settings": {"help_center_enabled": False}})

    response = owner_client.patch(
        tenant_url(tenant), {"settings": {"help_center_enabled": False}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert len(audit_rows(tenant, "tenant.updated")) == 1


# --- DELETE -----------------------------------------------------------------------------------


def test_owner_deletes_tenant_then_members_get_404(member, api_client, owner_client, tenant):
    agent_client = api_client(member(Role.AGENT))

    response = owner_client.delete(tenant_url(tenant))

    assert response.status_code == 204, response.content
    assert owner_client.get(tenant_url(tenant)).status_code == 404
    assert agent_client.get(tenant_url(tenant)).status_code == 404
    assert agent_client.get(f"{tenant_url(tenant)}members/").status_code == 404
    tenant.refresh_from_db()
    assert tenant.is_active is False
    assert tenant.deleted_at is not None


def test_deleted_tenant_disappears_from_the_tenant_list(owner_client, tenant):
    owner_client.delete(tenant_url(tenant))

    response = owner_client.get("/api/v1/t/")

    assert response.status_code == 200
    assert response.json() == []


def test_deleted_tenant_api_keys_stop_authenticating(owner_client, api_key_client, tenant):
    key_client, _ = api_key_client(tenant, Role.ADMIN)
    assert key_client.get(tenant_url(tenant)).status_code == 200

    response = owner_client.delete(tenant_url(tenant))

    assert response.status_code == 204
    assert key_client.get(tenant_url(tenant)).status_code == 401


def test_delete_tenant_is_audited(owner_client, owner, tenant):
    owner_client.delete(tenant_url(tenant))

    assert audit_rows(tenant, "tenant.deleted") == [
        {
            "action": "tenant.deleted",
            "target_type": "tenant",
            "target_id": "alpha",
            "actor_label": owner.user.email,
            "before": None,
            "after": None,
        }
    ]


@pytest.mark.parametrize(
    "role",
    [
        pytest.param(Role.ADMIN, id="admin"),
        pytest.param(Role.SUPERVISOR, id="supervisor"),
        pytest.param(Role.AGENT, id="agent"),
        pytest.param(Role.VIEWER, id="viewer"),
    ],
)
def test_delete_tenant_by_non_owner_is_403_and_tenant_stays(member, api_client, tenant, role):
    caller = member(role)

    response = api_client(caller).delete(tenant_url(tenant))

    assert response.status_code == 403
    tenant.refresh_from_db()
    assert tenant.is_active is True
    assert audit_rows(tenant, "tenant.deleted") == []


def test_delete_tenant_by_admin_api_key_is_403(api_key_client, tenant):
    key_client, _ = api_key_client(tenant, Role.ADMIN)

    response = key_client.delete(tenant_url(tenant))

    assert response.status_code == 403
    tenant.refresh_from_db()
    assert tenant.is_active is True


def test_delete_other_tenant_is_404_and_it_stays(owner_client, other_tenant):
    response = owner_client.delete(tenant_url(other_tenant))

    assert response.status_code == 404
    other_tenant.refresh_from_db()
    assert other_tenant.is_active is True
