"""Managing a tenant's invitations: the list with each one's status (GET t/<slug>/invitations/,
filtered by status), revoking one (DELETE .../<id>/) and resending it with a new token and
expiry (POST .../<id>/resend/); the old link stops working either way."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tenants.models import Invitation, Role, User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import audit_rows
from tests.tenants.invitations import (
    ACCEPT_URL,
    INVALID_LINK,
    all_audit_text,
    invitation_url,
    invitations_url,
    token_from_email,
)
from tests.tenants.recipes import invitation_recipe


# Overrides the conftest `admin` (and so the admin_client and pending built on it): the invitation
# email names its inviter.
@pytest.fixture
def admin(member):
    return member(Role.ADMIN, user_fields={"name": "Ada Admin"})


# --- GET invitations/ -------------------------------------------------------------------------


def test_list_shows_this_tenants_invitations_with_their_status(admin_client, tenant, other_tenant):
    now = timezone.now()
    live = invitation_recipe.make(tenant=tenant)
    lapsed = invitation_recipe.make(tenant=tenant, expires_at=now - timedelta(seconds=1))
    revoked = invitation_recipe.make(tenant=tenant, status="revoked")
    accepted = invitation_recipe.make(tenant=tenant, status="accepted")
    invitation_recipe.make(tenant=other_tenant)

    response = admin_client.get(invitations_url(tenant))

    assert response.status_code == 200, response.content
    assert {row["id"]: row["status"] for row in response.json()["results"]} == {
        str(live.public_id): "pending",
        str(lapsed.public_id): "expired",
        str(revoked.public_id): "revoked",
        str(accepted.public_id): "accepted",
    }


@pytest.mark.parametrize("status", ["pending", "expired", "revoked", "accepted"])
def test_list_filters_by_status(admin_client, tenant, status):
    now = timezone.now()
    made = {
        "pending": invitation_recipe.make(tenant=tenant),
        "expired": invitation_recipe.make(tenant=tenant, expires_at=now - timedelta(seconds=1)),
        "revoked": invitation_recipe.make(tenant=tenant, status="revoked"),
        "accepted": invitation_recipe.make(tenant=tenant, status="accepted"),
    }
    replaced = invitation_recipe.make(tenant=tenant, status="expired")

    response = admin_client.get(invitations_url(tenant), {"status": status})

    assert response.status_code == 200, response.content
    expected = {str(made[status].public_id)}
    if status == "expired":
        expected.add(str(replaced.public_id))
    assert {row["id"] for row in response.json()["results"]} == expected


def test_list_filter_by_unknown_status_is_400(admin_client, tenant):
    response = admin_client.get(invitations_url(tenant), {"status": "maybe"})

    assert "status" in field_errors(response)


def test_list_as_supervisor_is_403(member, api_client, tenant):
    invitation_recipe.make(tenant=tenant)

    response = api_client(member(Role.SUPERVISOR)).get(invitations_url(tenant))

    assert response.status_code == 403


# --- DELETE invitations/<id>/ (revoke) --------------------------------------------------------


def test_revoke_is_204_audited_and_the_link_stops_working(
    pending, admin_client, admin, tenant, anon_client
):
    invitation, token = pending

    response = admin_client.delete(invitation_url(invitation))
    accept = anon_client.post(
        ACCEPT_URL, {"token": token, "password": PASSWORD, "name": "Ivy"}, format="json"
    )

    assert response.status_code == 204, response.content
    invitation.refresh_from_db()
    assert (invitation.status, invitation.token_hash) == ("revoked", None)
    assert field_errors(accept) == {"token": [INVALID_LINK]}
    assert not User.objects.filter(email="ivy@example.test").exists()
    assert audit_rows(tenant, "invitation.revoked") == [
        {
            "target_type": "invitation",
            "target_id": str(invitation.public_id),
            "target_label": "ivy@example.test",
            "actor_label": admin.user.email,
            "before": {"status": "pending"},
            "after": {"status": "revoked"},
        }
    ]


@pytest.mark.parametrize("status", ["revoked", "accepted"])
def test_revoking_a_finished_invitation_is_409(admin_client, tenant, status):
    invitation = invitation_recipe.make(tenant=tenant, status=status)

    response = admin_client.delete(invitation_url(invitation))

    assert response.status_code == 409
    assert response.json()["code"] == "invitation_not_pending"
    invitation.refresh_from_db()
    assert invitation.status == status
    assert audit_rows(tenant, "invitation.revoked") == []


def test_revoking_a_lapsed_invitation_is_allowed(admin_client, tenant):
    invitation = invitation_recipe.make(
        tenant=tenant, expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = admin_client.delete(invitation_url(invitation))

    assert response.status_code == 204, response.content
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_revoke_by_agent_is_403_and_the_invitation_stays(pending, member, api_client):
    invitation, _ = pending

    response = api_client(member(Role.AGENT)).delete(invitation_url(invitation))

    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == "pending"


# --- POST invitations/<id>/resend/ ------------------------------------------------------------


def test_resend_mails_a_new_token_with_a_new_expiry_and_kills_the_old_link(
    pending,
    admin_client,
    admin,
    tenant,
    mailoutbox,
    anon_client,
    django_capture_on_commit_callbacks,
):
    invitation, old_token = pending
    old_expiry = Invitation.objects.get(pk=invitation.pk).expires_at
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{invitation_url(invitation)}resend/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    assert parse_datetime(response.json()["expires_at"]) > old_expiry
    [message] = mailoutbox
    new_token = token_from_email(message)
    assert new_token != old_token
    stale = anon_client.post(
        ACCEPT_URL, {"token": old_token, "password": PASSWORD, "name": "Ivy"}, format="json"
    )
    assert field_errors(stale) == {"token": [INVALID_LINK]}
    fresh = anon_client.post(
        ACCEPT_URL, {"token": new_token, "password": PASSWORD, "name": "Ivy"}, format="json"
    )
    assert fresh.status_code == 201, fresh.content
    [entry] = audit_rows(tenant, "invitation.resent")
    assert (entry["actor_label"], entry["target_id"]) == (
        admin.user.email,
        str(invitation.public_id),
    )
    assert old_token not in all_audit_text(tenant) and new_token not in all_audit_text(tenant)


def test_resend_renews_a_lapsed_invitation(
    admin_client, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = invitation_recipe.make(
        tenant=tenant, email="late@example.test", expires_at=timezone.now() - timedelta(days=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{invitation_url(invitation)}resend/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    assert [m.to for m in mailoutbox] == [["late@example.test"]]


@pytest.mark.parametrize("status", ["revoked", "accepted", "expired"])
def test_resending_a_finished_invitation_is_409_and_sends_nothing(
    admin_client, tenant, mailoutbox, django_capture_on_commit_callbacks, status
):
    invitation = invitation_recipe.make(tenant=tenant, status=status)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{invitation_url(invitation)}resend/")

    assert response.status_code == 409
    assert response.json()["code"] == "invitation_not_pending"
    assert mailoutbox == []
    assert audit_rows(tenant, "invitation.resent") == []
