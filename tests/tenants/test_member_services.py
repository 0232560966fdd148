"""member_add: the direct, consent-free add kept for trusted callers (seed commands, tests)."""

import pytest
from django.core.exceptions import ValidationError

from tenants import services
from tenants.access import Actor
from tenants.exceptions import OwnerRequiredError
from tenants.models import Membership, Role
from tests.tenants.helpers import audit_log_rows
from tests.tenants.recipes import user_recipe


@pytest.fixture
def newcomer(db):
    return user_recipe.make(email="newcomer@example.test")


def owner_actor(member):
    owner = member(Role.OWNER)
    return Actor(user=owner.user, role=owner.role)


def test_member_add_creates_an_audited_membership_and_welcomes_the_member(
    tenant, member, newcomer, mailoutbox, django_capture_on_commit_callbacks
):
    actor = owner_actor(member)

    with django_capture_on_commit_callbacks(execute=True):
        membership = services.member_add(
            tenant=tenant, actor=actor, email="NewComer@Example.TEST", role=Role.AGENT
        )

    assert (membership.user, membership.role) == (newcomer, Role.AGENT)
    assert audit_log_rows(tenant, "member.added", fields=("target_id", "after")) == [
        {
            "target_id": str(membership.public_id),
            "after": {"role": "agent", "is_senior": False, "is_active": True},
        }
    ]
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([newcomer.email], "You joined a workspace on Tenantdesk")
    ]


def test_member_add_unknown_email_is_a_validation_error(tenant, member):
    actor = owner_actor(member)
    count = Membership.objects.count()

    with pytest.raises(ValidationError) as exc:
        services.member_add(tenant=tenant, actor=actor, email="nobody@example.test", role="agent")

    assert set(exc.value.message_dict) == {"email"}
    assert Membership.objects.count() == count


def test_member_add_existing_member_is_a_validation_error(tenant, member):
    actor = owner_actor(member)
    agent = member(Role.AGENT)

    with pytest.raises(ValidationError) as exc:
        services.member_add(tenant=tenant, actor=actor, email=agent.user.email, role="admin")

    assert set(exc.value.message_dict) == {"email"}
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


def test_member_add_owner_by_an_admin_is_refused(tenant, member, newcomer):
    admin = member(Role.ADMIN)

    with pytest.raises(OwnerRequiredError):
        services.member_add(
            tenant=tenant,
            actor=Actor(user=admin.user, role=admin.role),
            email=newcomer.email,
            role=Role.OWNER,
        )

    assert not Membership.objects.filter(user=newcomer).exists()
