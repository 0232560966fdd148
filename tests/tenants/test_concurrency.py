"""Races on membership rules, with real threads and separate database connections."""

import pytest

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.exceptions import LastOwnerError
from tenants.models import AuditLogEntry, Membership, Role
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def _leave(tenant, membership):
    def call():
        actor = Actor(user=membership.user, role=Role.OWNER)
        return services.member_remove(tenant=tenant, actor=actor, membership=membership)

    return call


def _demote(tenant, actor_membership, target):
    def call():
        actor = Actor(user=actor_membership.user, role=Role.OWNER)
        return services.member_update(
            tenant=tenant, actor=actor, membership=target, role=Role.ADMIN
        )

    return call


def test_two_owners_leaving_at_once_leave_one_owner(tenant, member):
    first, second = member(Role.OWNER), member(Role.OWNER)

    results = race(_leave(tenant, first), _leave(tenant, second))

    assert sorted(type(r).__name__ for r in results) == ["LastOwnerError", "NoneType"]
    assert Membership.objects.filter(tenant=tenant, role=Role.OWNER).count() == 1


def test_two_owners_demoting_each_other_at_once_leave_one_owner(tenant, member):
    first, second = member(Role.OWNER), member(Role.OWNER)

    results = race(_demote(tenant, first, second), _demote(tenant, second, first))

    assert sum(isinstance(r, LastOwnerError) for r in results) == 1
    assert Membership.objects.filter(tenant=tenant, role=Role.OWNER).count() == 1


def test_removing_a_keys_creator_while_the_key_is_revoked_revokes_it_once(tenant, member):
    owner, creator = member(Role.OWNER), member(Role.ADMIN)
    owner_actor = Actor(user=owner.user, role=Role.OWNER)
    api_key, _ = services.api_key_create(
        tenant=tenant, actor=Actor(user=creator.user, role=Role.ADMIN), name="k", role="agent"
    )

    results = race(
        lambda: services.member_remove(tenant=tenant, actor=owner_actor, membership=creator),
        lambda: services.api_key_revoke(tenant=tenant, actor=owner_actor, api_key=api_key),
    )

    # No deadlock: the removal went through; the key was revoked exactly once, by either.
    assert [type(r).__name__ for r in results if isinstance(r, Exception)] in (
        [],
        ["ApiKeyRevokedError"],
    )
    assert not Membership.objects.filter(pk=creator.pk).exists()
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    with tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="api_key.revoked").count() == 1
