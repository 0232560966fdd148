"""The invitation services refuse bad input themselves (the admin, scripts and future inbound
paths reach them without a serializer)."""

import pytest
from django.core.exceptions import ValidationError

from tenants import services
from tenants.access import Actor
from tenants.exceptions import InvitationEmailMismatchError
from tenants.models import Invitation, Membership, Role
from tests.tenants.invitations import invite
from tests.tenants.recipes import user_recipe


@pytest.fixture
def admin_actor(member):
    admin = member(Role.ADMIN)
    return Actor(user=admin.user, role=admin.role)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"email": "not an email"}, "email", id="email-invalid"),
        pytest.param({"email": "a\x00b@example.test"}, "email", id="email-nul"),
        pytest.param({"email": "a" * 250 + "@example.test"}, "email", id="email-long"),
        pytest.param({"email": None}, "email", id="email-none"),
        pytest.param({"role": "superuser"}, "role", id="role-unknown"),
        pytest.param({"is_senior": "yes"}, "is_senior", id="is_senior-string"),
    ],
)
def test_invitation_create_refuses_bad_input(tenant, admin_actor, mailoutbox, fields, field):
    arguments = {"email": "ivy@example.test", "role": Role.AGENT, **fields}

    with pytest.raises(ValidationError) as exc:
        services.invitation_create(tenant=tenant, actor=admin_actor, **arguments)

    assert set(exc.value.message_dict) == {field}
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invitation_create_stores_the_address_in_lower_case(tenant, admin_actor):
    invitation = services.invitation_create(
        tenant=tenant, actor=admin_actor, email="  Ivy@Example.TEST ", role=Role.AGENT
    )

    assert invitation.email == "ivy@example.test"


def test_accepting_joins_only_the_inviting_tenant(tenant, other_tenant, member):
    _, token = invite(other_tenant, member(Role.ADMIN, tenant=other_tenant), "ivy@example.test")
    ivy = user_recipe.make(email="ivy@example.test")

    membership = services.invitation_accept(actor=Actor(user=ivy), token=token)

    assert membership.tenant == other_tenant
    assert list(Membership.objects.filter(user=ivy).values_list("tenant", flat=True)) == [
        other_tenant.pk
    ]


@pytest.mark.parametrize("token", ["", "t" * 129, None, 5], ids=["empty", "long", "none", "int"])
def test_accept_refuses_a_malformed_token_without_looking_it_up(tenant, member, token):
    invite(tenant, member(Role.ADMIN), "ivy@example.test")

    with pytest.raises(ValidationError) as exc:
        services.invitation_accept_new_account(
            actor=Actor(), token=token, password="plum-otter-4471", name="Ivy"
        )

    assert set(exc.value.message_dict) == {"token"}
    assert not Membership.objects.filter(tenant=tenant, user__email="ivy@example.test").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"name": "   "}, "name", id="name-blank"),
        pytest.param({"name": None}, "name", id="name-none"),
        pytest.param({"password": None}, "password", id="password-none"),
    ],
)
def test_new_account_accept_refuses_bad_account_fields(tenant, member, fields, field):
    invitation, token = invite(tenant, member(Role.ADMIN), "ivy@example.test")
    arguments = {"password": "plum-otter-4471", "name": "Ivy", **fields}

    with pytest.raises(ValidationError) as exc:
        services.invitation_accept_new_account(actor=Actor(), token=token, **arguments)

    assert set(exc.value.message_dict) == {field}
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_accept_without_a_person_is_refused(tenant, member):
    invitation, token = invite(tenant, member(Role.ADMIN), "ivy@example.test")

    with pytest.raises(InvitationEmailMismatchError):
        services.invitation_accept(actor=Actor(), token=token)

    invitation.refresh_from_db()
    assert invitation.status == "pending"
