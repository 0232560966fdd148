"""A key's reach ends with its reason: keys a revoked key created, keys of a deactivated
account, and a key created while its creator is being demoted."""

import pytest
from django.contrib.auth import get_user_model

from tenants import services
from tenants.access import Actor
from tenants.models import ApiKey, Role
from tests.concurrency import held, in_background, wait_until_blocked
from tests.tenants.helpers import audit_log_rows
from tests.tenants.test_api_key_lifecycle import key_client, keys_url, make_key


@pytest.fixture
def creator(member):
    return member(Role.ADMIN)


def _child(tenant, parent_key, raw_parent, name):
    """A key created through the API by the key `raw_parent`: (raw key, ApiKey)."""
    response = key_client(raw_parent).post(
        keys_url(tenant), {"name": name, "role": Role.ADMIN}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["key"], ApiKey.objects.get(public_id=response.json()["id"])


def test_revoking_a_key_revokes_the_keys_it_created_down_the_chain(creator, tenant):
    raw_root, root = make_key(tenant, creator)
    raw_child, child = _child(tenant, root, raw_root, "child")
    raw_grandchild, grandchild = _child(tenant, child, raw_child, "grandchild")
    raw_sibling, _ = make_key(tenant, creator, name="sibling")

    services.api_key_revoke(
        tenant=tenant, actor=Actor(user=creator.user, role=Role.ADMIN), api_key=root
    )

    assert key_client(raw_child).get(f"/api/v1/t/{tenant.slug}/").status_code == 401
    assert key_client(raw_grandchild).get(f"/api/v1/t/{tenant.slug}/").status_code == 401
    assert key_client(raw_sibling).get(f"/api/v1/t/{tenant.slug}/").status_code == 200
    reasons = {
        row["target_id"]: row["after"].get("reason")
        for row in audit_log_rows(tenant, "api_key.revoked", fields=("target_id", "after"))
    }
    assert reasons == {
        str(root.public_id): None,
        str(child.public_id): f"created by the revoked key {root.prefix}",
        str(grandchild.public_id): f"created by the revoked key {child.prefix}",
    }


def test_a_key_of_a_deactivated_account_authenticates_nothing(creator, tenant):
    raw, _ = make_key(tenant, creator)
    get_user_model().objects.filter(pk=creator.user.pk).update(is_active=False)

    response = key_client(raw).get(f"/api/v1/t/{tenant.slug}/")

    assert response.status_code == 401


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_a_key_created_while_its_creator_is_demoted_does_not_survive(
    creator, member, api_client, tenant
):
    owner = member(Role.OWNER)

    def demote():
        return services.member_update(
            tenant=tenant,
            actor=Actor(user=owner.user, role=Role.OWNER),
            membership=creator,
            role=Role.AGENT,
        )

    # given: the demotion has run (and revoked the creator's keys) but not committed
    with held(demote):
        create = in_background(
            lambda: api_client(creator).post(
                keys_url(tenant), {"name": "late", "role": Role.AGENT}, format="json"
            )
        )
        wait_until_blocked(create)
    response = create.result()

    # then: the create waited for the demotion and was refused; no key of theirs is live
    assert response.status_code in (403, 404), response.content
    assert not ApiKey.objects.filter(created_by=creator.user, revoked_at__isnull=True).exists()
