"""List and detail endpoints cost a fixed number of queries, whatever the page holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import ApiKey, Role
from tests.tenants.recipes import audit_entry_recipe, invitation_recipe, membership_recipe

# token (1) + tenant & membership, which also enters the tenant's settings (1) + the
# page/object (1); in tests the request's transaction is a savepoint inside the test's, which
# adds SAVEPOINT, RELEASE and the restore of the outer (empty) tenant settings: 6 statements in
# all. In production the request owns its transaction: 3 statements between BEGIN and COMMIT
# (tests/test_request_statements.py counts those).
LIST_QUERIES = 6


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def _add_members(tenant, n):
    for _ in range(n):  # one user each (foreign_key() would share one across _quantity)
        membership_recipe.make(tenant=tenant)


def _add_keys(tenant, n):
    creator = membership_recipe.make(tenant=tenant, role=Role.ADMIN)
    actor = Actor(user=creator.user, role=creator.role)
    for i in range(n):
        services.api_key_create(tenant=tenant, actor=actor, name=f"k{i}", role="agent")
    # Keys created by a key carry their parent too (one more join, the same for every page).
    parent = ApiKey.objects.filter(tenant=tenant).first()
    services.api_key_create(
        tenant=tenant, actor=Actor(api_key=parent, role=Role.AGENT), name="child", role="agent"
    )


def _add_invitations(tenant, n):
    inviter = membership_recipe.make(tenant=tenant, role=Role.ADMIN).user
    invitation_recipe.make(tenant=tenant, invited_by=inviter, _quantity=n)


def _add_audit(tenant, n):
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, _quantity=n)


@pytest.mark.parametrize(
    ("path", "grow"),
    [
        ("members/", _add_members),
        ("api-keys/", _add_keys),
        ("audit-log/", _add_audit),
        ("invitations/", _add_invitations),
    ],
    ids=["members", "api-keys", "audit-log", "invitations"],
)
def test_list_costs_the_same_for_1_and_50_rows(owner_client, tenant, path, grow):
    url = f"/api/v1/t/{tenant.slug}/{path}?page_size=100"
    grow(tenant, 1)
    small = _count(owner_client, url)
    grow(tenant, 49)

    large = _count(owner_client, url)

    assert small == large == LIST_QUERIES


def test_member_detail_costs_a_fixed_number_of_queries(owner_client, tenant, member):
    target = member(Role.AGENT)

    queries = _count(owner_client, f"/api/v1/t/{tenant.slug}/members/{target.public_id}/")

    assert queries == LIST_QUERIES
