"""Invitations under real concurrency: threads, separate connections, committed data."""

import pytest
from django.core.exceptions import ValidationError

from tenants import services
from tenants.access import Actor
from tenants.exceptions import InvitationNotPendingError
from tenants.models import Invitation, Membership, Role, User
from tests.concurrency import race
from tests.conftest import PASSWORD
from tests.tenants.invitations import invite
from tests.tenants.recipes import user_recipe

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def _errors(results) -> list[str]:
    return sorted(type(r).__name__ for r in results if isinstance(r, Exception))


def test_two_accepts_of_one_token_make_one_membership(tenant, member):
    _, token = invite(tenant, member(Role.ADMIN), "ivy@example.test")
    ivy = user_recipe.make(email="ivy@example.test")

    def accept():
        return services.invitation_accept(actor=Actor(user=ivy), token=token)

    results = race(accept, accept)

    assert _errors(results) == ["ValidationError"]
    [error] = [r for r in results if isinstance(r, ValidationError)]
    assert set(error.message_dict) == {"token"}
    assert Membership.objects.filter(tenant=tenant, user=ivy).count() == 1
    assert Invitation.objects.get().status == "accepted"


def test_two_new_account_accepts_of_one_token_make_one_user(tenant, member):
    _, token = invite(tenant, member(Role.ADMIN), "ivy@example.test")

    def accept(name):
        return lambda: services.invitation_accept_new_account(
            actor=Actor(), token=token, password=PASSWORD, name=name
        )

    results = race(accept("First"), accept("Second"))

    assert _errors(results) == ["ValidationError"]
    assert User.objects.filter(email="ivy@example.test").count() == 1
    assert Membership.objects.filter(tenant=tenant, user__email="ivy@example.test").count() == 1


def test_accept_racing_revoke_ends_one_way(tenant, member):
    admin = member(Role.ADMIN)
    invitation, token = invite(tenant, admin, "ivy@example.test")
    ivy = user_recipe.make(email="ivy@example.test")

    results = race(
        lambda: services.invitation_accept(actor=Actor(user=ivy), token=token),
        lambda: services.invitation_revoke(
            tenant=tenant, actor=Actor(user=admin.user, role=admin.role), invitation=invitation
        ),
    )

    invitation.refresh_from_db()
    joined = Membership.objects.filter(tenant=tenant, user=ivy).exists()
    # Either the accept won (the revoke then finds it accepted) or the revoke did.
    assert (invitation.status, joined, _errors(results)) in [
        ("accepted", True, [InvitationNotPendingError.__name__]),
        ("revoked", False, ["ValidationError"]),
    ]


def test_two_invitations_of_one_address_at_once_leave_one(tenant, member):
    admin = member(Role.ADMIN)
    actor = Actor(user=admin.user, role=admin.role)

    def create():
        return services.invitation_create(
            tenant=tenant, actor=actor, email="ivy@example.test", role=Role.AGENT
        )

    results = race(create, create)

    assert _errors(results) == ["ValidationError"]
    [error] = [r for r in results if isinstance(r, ValidationError)]
    assert set(error.message_dict) == {"email"}
    assert Invitation.objects.filter(tenant=tenant, status="pending").count() == 1
