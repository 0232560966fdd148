"""Changing a member (PATCH t/<slug>/members/<id>/): role and flags, audited with before and
after; admins may not touch owners or grant owner, the last owner stays one, deactivation locks
the member out of the tenant. Adding members directly is gone (POST members/ is 405): people join
by invitation."""

import pytest

from tenants.models import Membership, Role
from tests.tenants.helpers import audit_rows, member_url, members_url
from tests.tenants.recipes import user_recipe


@pytest.fixture
def newcomer(db):
    return user_recipe.make(email="newcomer@example.test", name="New Comer")


# --- POST members/ (gone: people join by invitation) ------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.OWNER, 405, id="owner-405"),
        pytest.param(Role.ADMIN, 405, id="admin-405"),
        pytest.param(Role.VIEWER, 405, id="viewer-405"),
    ],
)
def test_post_members_is_405_and_adds_nobody(member, api_client, tenant, newcomer, role, expected):
    response = api_client(member(role)).post(
        members_url(tenant), {"email": newcomer.email, "role": "agent"}, format="json"
    )

    assert response.status_code == expected, response.content
    assert response.json()["code"] == "method_not_allowed"
    assert not Membership.objects.filter(user=newcomer).exists()
    assert audit_rows(tenant, "member.added") == []


def test_post_members_as_non_member_is_404_and_anonymous_401(
    member, api_client, anon_client, tenant, other_tenant, newcomer
):
    body = {"email": newcomer.email, "role": "agent"}
    outsider = api_client(member(Role.OWNER, tenant=other_tenant))

    foreign = outsider.post(members_url(tenant), body, format="json")
    anonymous = anon_client.post(members_url(tenant), body, format="json")

    assert (foreign.status_code, anonymous.status_code) == (404, 401)
    assert not Membership.objects.filter(user=newcomer).exists()


# --- PATCH members/<id>/ ----------------------------------------------------------------------


def test_role_change_is_audited_with_before_and_after(admin_client, admin, member, tenant):
    agent = member(Role.AGENT)

    response = admin_client.patch(member_url(agent), {"role": "supervisor"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "supervisor"
    agent.refresh_from_db()
    assert agent.role == Role.SUPERVISOR
    assert audit_rows(tenant, "member.updated") == [
        {
            "target_type": "member",
            "target_id": str(agent.public_id),
            "target_label": agent.user.email,
            "actor_label": admin.user.email,
            "before": {"role": "agent"},
            "after": {"role": "supervisor"},
        }
    ]


def test_noop_member_patch_is_not_audited(admin_client, member, tenant):
    agent = member(Role.AGENT)

    response = admin_client.patch(
        member_url(agent), {"role": "agent", "is_senior": False}, format="json"
    )

    assert response.status_code == 200, response.content
    assert audit_rows(tenant, "member.updated") == []


def test_patch_member_by_agent_is_403(member, api_client, tenant):
    agent = member(Role.AGENT)
    other_agent = member(Role.AGENT)

    response = api_client(agent).patch(member_url(other_agent), {"role": "admin"}, format="json")

    assert response.status_code == 403
    other_agent.refresh_from_db()
    assert other_agent.role == Role.AGENT


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"role": "agent"}, id="demote"),
        pytest.param({"is_active": False}, id="deactivate"),
        pytest.param({"is_senior": True}, id="senior-flag"),
    ],
)
def test_admin_cannot_change_an_owner(admin_client, owner, body):
    response = admin_client.patch(member_url(owner), body, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "owner_required"
    owner.refresh_from_db()
    assert (owner.role, owner.is_active, owner.is_senior) == (Role.OWNER, True, False)


def test_admin_cannot_promote_to_owner(admin_client, member):
    agent = member(Role.AGENT)

    response = admin_client.patch(member_url(agent), {"role": "owner"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "owner_required"
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


def test_owner_promotes_to_owner(owner_client, member):
    agent = member(Role.AGENT)

    response = owner_client.patch(member_url(agent), {"role": "owner"}, format="json")

    assert response.status_code == 200, response.content
    agent.refresh_from_db()
    assert agent.role == Role.OWNER


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"role": "admin"}, id="demote"),
        pytest.param({"is_active": False}, id="deactivate"),
    ],
)
def test_last_owner_cannot_be_demoted_or_deactivated(owner_client, owner, tenant, body):
    response = owner_client.patch(member_url(owner), body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "last_owner"
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == (Role.OWNER, True)
    assert audit_rows(tenant, "member.updated") == []


@pytest.mark.parametrize(
    ("body", "expected_role", "expected_active"),
    [
        pytest.param({"role": "admin"}, Role.ADMIN, True, id="demote"),
        pytest.param({"is_active": False}, Role.OWNER, False, id="deactivate"),
    ],
)
def test_owner_can_be_demoted_or_deactivated_when_another_owner_remains(
    owner_client, member, body, expected_role, expected_active
):
    second_owner = member(Role.OWNER)

    response = owner_client.patch(member_url(second_owner), body, format="json")

    assert response.status_code == 200, response.content
    second_owner.refresh_from_db()
    assert (second_owner.role, second_owner.is_active) == (expected_role, expected_active)


def test_owner_demotes_self_when_another_owner_remains(owner_client, owner, member):
    member(Role.OWNER)

    response = owner_client.patch(member_url(owner), {"role": "admin"}, format="json")

    assert response.status_code == 200, response.content
    owner.refresh_from_db()
    assert owner.role == Role.ADMIN


def test_deactivated_member_gets_404_on_the_tenant(admin_client, member, api_client, tenant):
    agent = member(Role.AGENT)
    agent_client = api_client(agent)
    assert agent_client.get(f"/api/v1/t/{tenant.slug}/").status_code == 200

    response = admin_client.patch(member_url(agent), {"is_active": False}, format="json")

    assert response.status_code == 200, response.content
    assert agent_client.get(f"/api/v1/t/{tenant.slug}/").status_code == 404
    assert agent_client.get(members_url(tenant)).status_code == 404


def test_reactivated_member_gets_the_tenant_back(admin_client, member, api_client, tenant):
    agent = member(Role.AGENT, is_active=False)
    agent_client = api_client(agent)
    assert agent_client.get(f"/api/v1/t/{tenant.slug}/").status_code == 404

    response = admin_client.patch(member_url(agent), {"is_active": True}, format="json")

    assert response.status_code == 200, response.content
    assert agent_client.get(f"/api/v1/t/{tenant.slug}/").status_code == 200


def test_patch_member_of_another_tenant_is_404(admin_client, member, tenant, other_tenant):
    foreign = member(Role.AGENT, tenant=other_tenant)

    response = admin_client.patch(
        f"{members_url(tenant)}{foreign.public_id}/", {"role": "viewer"}, format="json"
    )

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.AGENT
