"""Removing a member (DELETE t/<slug>/members/<id>/): admins remove non-owners, anyone may leave
except the last owner, owners remove owners; audited; another tenant's member is a 404."""

import pytest

from tenants.models import Membership, Role
from tests.tenants.helpers import audit_rows, member_url, members_url

# --- DELETE members/<id>/ ---------------------------------------------------------------------


def test_admin_removes_agent_and_it_is_audited(admin_client, admin, member, tenant):
    agent = member(Role.AGENT, is_senior=True)

    response = admin_client.delete(member_url(agent))

    assert response.status_code == 204, response.content
    assert not Membership.objects.filter(pk=agent.pk).exists()
    assert audit_rows(tenant, "member.removed") == [
        {
            "target_type": "member",
            "target_id": str(agent.public_id),
            "target_label": agent.user.email,
            "actor_label": admin.user.email,
            "before": {"role": "agent", "is_senior": True, "is_active": True},
            "after": None,
        }
    ]


def test_admin_cannot_remove_owner(admin_client, owner, tenant):
    response = admin_client.delete(member_url(owner))

    assert response.status_code == 403
    assert response.json()["code"] == "owner_required"
    assert Membership.objects.filter(pk=owner.pk).exists()
    assert audit_rows(tenant, "member.removed") == []


@pytest.mark.parametrize(
    "role",
    [
        pytest.param(Role.AGENT, id="agent"),
        pytest.param(Role.VIEWER, id="viewer"),
        pytest.param(Role.SUPERVISOR, id="supervisor"),
    ],
)
def test_member_can_leave(member, api_client, tenant, role):
    leaver = member(role)
    client = api_client(leaver)

    response = client.delete(member_url(leaver))

    assert response.status_code == 204, response.content
    assert not Membership.objects.filter(pk=leaver.pk).exists()
    assert client.get(f"/api/v1/t/{tenant.slug}/").status_code == 404
    assert len(audit_rows(tenant, "member.removed")) == 1


@pytest.mark.parametrize(
    "role",
    [
        pytest.param(Role.AGENT, id="agent"),
        pytest.param(Role.VIEWER, id="viewer"),
        pytest.param(Role.SUPERVISOR, id="supervisor"),
    ],
)
def test_non_admin_cannot_remove_others(member, api_client, tenant, role):
    caller = member(role)
    other = member(Role.AGENT)

    response = api_client(caller).delete(member_url(other))

    assert response.status_code == 403
    assert Membership.objects.filter(pk=other.pk).exists()
    assert audit_rows(tenant, "member.removed") == []


def test_last_owner_cannot_leave(owner_client, owner, tenant):
    response = owner_client.delete(member_url(owner))

    assert response.status_code == 409
    assert response.json()["code"] == "last_owner"
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_owner_can_leave_when_another_owner_remains(owner_client, owner, member):
    second_owner = member(Role.OWNER)

    response = owner_client.delete(member_url(owner))

    assert response.status_code == 204, response.content
    assert not Membership.objects.filter(pk=owner.pk).exists()
    assert Membership.objects.filter(pk=second_owner.pk).exists()


def test_owner_removes_another_owner(owner_client, owner, member):
    second_owner = member(Role.OWNER)

    response = owner_client.delete(member_url(second_owner))

    assert response.status_code == 204, response.content
    assert not Membership.objects.filter(pk=second_owner.pk).exists()


def test_remove_member_of_another_tenant_is_404(admin_client, member, tenant, other_tenant):
    foreign = member(Role.AGENT, tenant=other_tenant)

    response = admin_client.delete(f"{members_url(tenant)}{foreign.public_id}/")

    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
