"""An invitation ends with its reason: accepting needs the inviter to be entitled to send it
still. And what registrants type stays out of the shape of the emails the platform sends."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from tenants import services
from tenants.access import Actor
from tenants.models import Membership, Role
from tests.tenants.invitations import invite, last_token_for

ACCEPT = "/api/v1/auth/invitations/accept/"
NEW_ACCOUNT = {"password": "plum-otter-4471", "name": "Ivy"}


@pytest.fixture
def owner(member):
    return member(Role.OWNER)


def _accept(token):
    return APIClient().post(ACCEPT, {"token": token, **NEW_ACCOUNT}, format="json")


def _demote(owner, membership, role):
    services.member_update(
        tenant=membership.tenant,
        actor=Actor(user=owner.user, role=Role.OWNER),
        membership=membership,
        role=role,
    )


def test_an_invitation_from_an_admin_who_was_removed_no_longer_works(owner, member, tenant):
    admin = member(Role.ADMIN)
    _, token = invite(tenant, admin, "ivy@example.test", role=Role.ADMIN)
    services.member_remove(
        tenant=tenant, actor=Actor(user=owner.user, role=Role.OWNER), membership=admin
    )

    response = _accept(token)

    assert response.status_code == 400
    assert "token" in response.json()["errors"]
    assert not Membership.objects.filter(tenant=tenant, user__email="ivy@example.test").exists()


def test_an_invitation_from_an_admin_demoted_below_admin_no_longer_works(owner, member, tenant):
    admin = member(Role.ADMIN)
    _, token = invite(tenant, admin, "ivy@example.test")
    _demote(owner, admin, Role.AGENT)

    assert _accept(token).status_code == 400


def test_an_owner_invitation_needs_its_inviter_to_be_an_owner_still(owner, member, tenant):
    second_owner = member(Role.OWNER)
    _, token = invite(tenant, second_owner, "ivy@example.test", role=Role.OWNER)
    _demote(owner, second_owner, Role.ADMIN)

    assert _accept(token).status_code == 400


def test_an_invitation_sent_through_a_revoked_key_no_longer_works(
    owner, tenant, django_capture_on_commit_callbacks
):
    key, raw = services.api_key_create(
        tenant=tenant, actor=Actor(user=owner.user, role=Role.OWNER), name="hr", role=Role.ADMIN
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/t/{tenant.slug}/invitations/",
            {"email": "ivy@example.test", "role": Role.AGENT},
            format="json",
        )
    token = last_token_for("ivy@example.test")
    services.api_key_revoke(
        tenant=tenant, actor=Actor(user=owner.user, role=Role.OWNER), api_key=key
    )

    assert response.status_code == 201, response.content
    assert _accept(token).status_code == 400


def test_an_invitation_from_an_inviter_who_is_still_entitled_works(owner, member, tenant):
    admin = member(Role.ADMIN)
    _, token = invite(tenant, admin, "ivy@example.test")
    _demote(owner, admin, Role.OWNER)  # promoted: still entitled

    assert _accept(token).status_code == 201


def test_an_accept_racing_a_registration_of_the_address_is_409_log_in(owner, tenant, monkeypatch):
    from tenants.services import invitations

    _, token = invite(tenant, owner, "ivy@example.test")
    real = invitations.validate_new_password

    def registration_commits_meanwhile(password, *, user, field):
        # The address gets an account between the accept's "no account yet" check and its
        # create (what a registration committing at that moment looks like to the accept).
        services.user_register(email="ivy@example.test", password="kiwi-lemon-9931", name="Ivy")
        return real(password, user=user, field=field)

    monkeypatch.setattr(invitations, "validate_new_password", registration_commits_meanwhile)

    response = _accept(token)

    assert response.status_code == 409
    assert response.json()["code"] == "account_exists"


def test_a_registrants_name_cannot_add_lines_to_the_verification_email(
    db, django_capture_on_commit_callbacks
):
    name = "Ivy\n\nURGENT: your account is locked, visit http://evil.example/ now\n"

    with django_capture_on_commit_callbacks(execute=True):
        services.user_register(email="ivy@example.test", password="plum-otter-4471", name=name)

    [message] = mail.outbox
    assert message.body.splitlines()[0].startswith("Hello Ivy URGENT: your account is locked")
    assert "\n\nURGENT" not in message.body
