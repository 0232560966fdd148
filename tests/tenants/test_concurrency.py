"""Races on membership rules, with real threads and separate database connections."""

import pytest

from tenants import services
from tenants.access import Actor
from tenants.exceptions import LastOwnerError
from tenants.models import Membership, Role
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
