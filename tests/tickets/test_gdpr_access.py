"""Who may export and erase a customer (owner and admin, API keys by role) and whose customers
(never another tenant's; unknown ids, anonymous callers and non-members get nothing)."""

import pytest

from tenants.models import Role
from tests.tenants.helpers import audit_log_rows
from tests.tickets.gdpr_helpers import _snapshot, _url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_memory_storage")]


NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


# --- Who may, and whose customers -----------------------------------------------------------------


OPS = [pytest.param("export", "get", id="export"), pytest.param("erase", "post", id="erase")]


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owner_and_admin_may_export_and_erase(world, tenant, member, api_client, role, op, method):
    client = api_client(member(role))

    response = getattr(client, method)(_url(tenant, world.alice.public_id, op), format="json")

    assert response.status_code == 200


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.VIEWER])
def test_roles_below_admin_are_refused_and_change_nothing(
    world, tenant, member, api_client, role, op, method
):
    client = api_client(member(role))
    before = _snapshot(tenant)

    response = getattr(client, method)(_url(tenant, world.alice.public_id, op), format="json")

    assert response.status_code == 403
    assert _snapshot(tenant) == before
    assert audit_log_rows(tenant, f"customer.{op}d", fields=("target_id",)) == []


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize(("key_role", "expected"), [(Role.ADMIN, 200), (Role.SUPERVISOR, 403)])
def test_api_keys_follow_their_role(world, tenant, api_key_client, key_role, expected, op, method):
    client, _ = api_key_client(tenant, key_role)

    response = getattr(client, method)(_url(tenant, world.alice.public_id, op), format="json")

    assert response.status_code == expected


@pytest.mark.parametrize(("op", "method"), OPS)
def test_other_tenants_customer_is_404_and_untouched(
    world, tenant, other_tenant, admin_client, op, method
):
    before = _snapshot(other_tenant)

    response = getattr(admin_client, method)(
        _url(tenant, world.namesake.public_id, op), format="json"
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert _snapshot(other_tenant) == before
    assert audit_log_rows(other_tenant, f"customer.{op}d", fields=("target_id",)) == []
    assert audit_log_rows(tenant, f"customer.{op}d", fields=("target_id",)) == []


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize(
    "customer_id",
    [
        pytest.param("00000000-0000-0000-0000-000000000000", id="unknown"),
        pytest.param("-" * 36, id="malformed"),
    ],
)
def test_unknown_or_malformed_customer_id_is_the_same_404(
    world, tenant, admin_client, customer_id, op, method
):
    response = getattr(admin_client, method)(_url(tenant, customer_id, op), format="json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(("op", "method"), OPS)
def test_anonymous_is_401_and_a_non_member_404(
    world, tenant, other_tenant, member, api_client, anon_client, op, method
):
    outsider = api_client(member(Role.OWNER, tenant=other_tenant))
    url = _url(tenant, world.alice.public_id, op)
    before = _snapshot(tenant)

    anonymous = getattr(anon_client, method)(url, format="json")
    foreign = getattr(outsider, method)(url, format="json")

    assert (anonymous.status_code, foreign.status_code) == (401, 404)
    assert foreign.json() == NOT_FOUND
    assert _snapshot(tenant) == before
