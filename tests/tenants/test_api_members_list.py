"""Reading members (GET t/<slug>/members/, members/<id>/): only this tenant's, to any member, with
role and active filters; a malformed or unknown member id is a 404 on every method."""

import pytest

from tenants.models import Membership, Role
from tests.errors import field_errors
from tests.tenants.helpers import member_url, members_url


def result_ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


# --- GET members/, members/<id>/ --------------------------------------------------------------


def test_list_members_shows_only_this_tenant(admin_client, admin, member, tenant, other_tenant):
    agent = member(Role.AGENT)
    foreign = member(Role.AGENT, tenant=other_tenant)

    response = admin_client.get(members_url(tenant))

    assert response.status_code == 200, response.content
    ids = result_ids(response)
    assert ids == {str(admin.public_id), str(agent.public_id)}
    assert str(foreign.public_id) not in ids


def test_list_members_as_non_member_is_404(member, api_client, tenant, other_tenant):
    outsider = member(Role.OWNER, tenant=other_tenant)

    response = api_client(outsider).get(members_url(tenant))

    assert response.status_code == 404


def test_viewer_can_list_members(member, api_client, tenant):
    viewer = member(Role.VIEWER)

    response = api_client(viewer).get(members_url(tenant))

    assert response.status_code == 200
    assert result_ids(response) == {str(viewer.public_id)}


def test_list_members_filter_by_role(admin_client, member, tenant):
    agents = [member(Role.AGENT), member(Role.AGENT)]
    member(Role.VIEWER)

    response = admin_client.get(members_url(tenant), {"role": "agent"})

    assert response.status_code == 200, response.content
    assert result_ids(response) == {str(a.public_id) for a in agents}


def test_list_members_filter_by_unknown_role_is_400(admin_client, tenant):
    response = admin_client.get(members_url(tenant), {"role": "wizard"})

    assert response.status_code == 400
    assert "role" in field_errors(response)


def test_list_members_filter_by_inactive(admin_client, member, tenant):
    inactive = member(Role.AGENT, is_active=False)
    member(Role.AGENT)

    response = admin_client.get(members_url(tenant), {"is_active": "false"})

    assert response.status_code == 200, response.content
    assert result_ids(response) == {str(inactive.public_id)}


def test_list_members_filter_by_active(admin_client, admin, member, tenant):
    member(Role.AGENT, is_active=False)

    response = admin_client.get(members_url(tenant), {"is_active": "true"})

    assert response.status_code == 200, response.content
    assert result_ids(response) == {str(admin.public_id)}


def test_retrieve_member(member, api_client, tenant):
    viewer = member(Role.VIEWER)
    agent = member(Role.AGENT, is_senior=True)

    response = api_client(viewer).get(member_url(agent))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(agent.public_id)
    assert body["user"] == {
        "id": str(agent.user.public_id),
        "email": agent.user.email,
        "name": agent.user.name,
    }
    assert (body["role"], body["is_senior"], body["is_active"]) == ("agent", True, True)


def test_retrieve_member_of_another_tenant_is_404(admin_client, member, tenant, other_tenant):
    foreign = member(Role.AGENT, tenant=other_tenant)

    response = admin_client.get(f"{members_url(tenant)}{foreign.public_id}/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "member_id",
    [
        pytest.param("not-a-uuid", id="word"),
        pytest.param("12345", id="integer"),
        pytest.param("-" * 36, id="36-dashes"),
        pytest.param("ffffffff-ffff-ffff-ffff-ffffffffffffff"[:36], id="unknown-uuid"),
        pytest.param("abcdefab-cdef-abcd-efab-cdefabcdefab-", id="37-chars"),
    ],
)
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_malformed_or_unknown_member_id_is_404(admin_client, tenant, member_id, method):
    count = Membership.objects.count()

    response = getattr(admin_client, method)(f"{members_url(tenant)}{member_id}/")

    assert response.status_code == 404
    assert Membership.objects.count() == count
