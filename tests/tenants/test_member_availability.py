"""Availability for automatic assignment: a member sets their own, supervisors and above set
anyone's; it is audited and shown on the member."""

import pytest

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Membership, Role

pytestmark = pytest.mark.django_db


def _url(tenant, membership):
    return f"/api/v1/t/{tenant.slug}/members/{membership.public_id}/availability/"


def test_a_member_sets_their_own_availability(tenant, member, api_client):
    agent = member(Role.AGENT)

    response = api_client(agent).post(_url(tenant, agent), {"is_available": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_available"] is False
    assert Membership.objects.get(pk=agent.pk).is_available is False
    with tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="member.availability_changed")
    assert (entry.before, entry.after) == ({"is_available": True}, {"is_available": False})


@pytest.mark.parametrize(("role", "status"), [(Role.SUPERVISOR, 200), (Role.AGENT, 403)])
def test_someone_elses_needs_a_supervisor(tenant, member, api_client, role, status):
    target = member(Role.AGENT)

    response = api_client(member(role)).post(
        _url(tenant, target), {"is_available": False}, format="json"
    )

    assert response.status_code == status
    assert Membership.objects.get(pk=target.pk).is_available is (status != 200)


@pytest.mark.parametrize("body", [{}, {"is_available": "maybe"}, {"is_available": None}])
def test_bad_input_is_a_400_that_changes_nothing(tenant, member, api_client, body):
    agent = member(Role.AGENT)

    response = api_client(agent).post(_url(tenant, agent), body, format="json")

    assert response.status_code == 400
    assert "is_available" in response.json()["errors"]
    assert Membership.objects.get(pk=agent.pk).is_available is True
