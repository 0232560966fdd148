"""Invitations: the only way into a tenant (t/<slug>/invitations/, auth/invitations/accept/)."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Invitation, Membership, Role, User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import audit_log_rows
from tests.tenants.invitations import invite, token_from_email
from tests.tenants.recipes import invitation_recipe, tenant_recipe, user_recipe

ACCEPT_URL = "/api/v1/auth/invitations/accept/"
ME_URL = "/api/v1/auth/me/"
# What the invitee reads in the subject, literally: no tenant or inviter text in any header.
SUBJECT = "You have been invited to Tenantdesk"
# The one answer for an unknown, used, revoked or expired token.
INVALID_LINK = "This invitation link is invalid or has expired. Ask for a new invitation."


def invitations_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/invitations/"


def invitation_url(invitation) -> str:
    return f"{invitations_url(invitation.tenant)}{invitation.public_id}/"


def bearer(user) -> APIClient:
    _, token = services.auth_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def make_user(email: str, name: str = "Ivy Invitee") -> User:
    user = user_recipe.make(email=email, name=name)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def audit_rows(tenant, action: str) -> list[dict]:
    return audit_log_rows(
        tenant,
        action,
        fields=("target_type", "target_id", "target_label", "actor_label", "before", "after"),
    )


def all_audit_text(tenant) -> str:
    with tenant_context(tenant):
        return json.dumps(list(AuditLogEntry.objects.values()), default=str)


def invitation_row_text(invitation) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT i::text FROM tenants_invitation i WHERE id = %s", [invitation.pk])
        return cursor.fetchone()[0]


def post_invite(client, tenant, capture, **body):
    with capture(execute=True):
        return client.post(invitations_url(tenant), {"role": "agent", **body}, format="json")


@pytest.fixture
def admin(member):
    return member(Role.ADMIN, user_fields={"name": "Ada Admin"})


@pytest.fixture
def admin_client(api_client, admin):
    return api_client(admin)


@pytest.fixture
def pending(tenant, admin, mailoutbox):
    """(invitation, token) for ivy@example.test as agent, sent by `admin`."""
    return invite(tenant, admin, "ivy@example.test", Role.AGENT, is_senior=True)


# --- POST invitations/ ------------------------------------------------------------------------


def test_invite_returns_201_with_the_invitation(
    admin_client, admin, tenant, django_capture_on_commit_callbacks
):
    response = post_invite(
        admin_client,
        tenant,
        django_capture_on_commit_callbacks,
        email="Ivy@Example.TEST",
        role="supervisor",
        is_senior=True,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    invitation = Invitation.objects.get(public_id=body["id"])
    assert set(body) == {
        "id", "email", "role", "is_senior", "status", "invited_by", "expires_at", "created_at"
    }  # fmt: skip
    assert (body["email"], body["role"], body["is_senior"], body["status"]) == (
        "ivy@example.test",
        "supervisor",
        True,
        "pending",
    )
    assert body["invited_by"] == admin.user.email
    assert invitation.tenant_id == tenant.pk
    expires, created = parse_datetime(body["expires_at"]), parse_datetime(body["created_at"])
    assert expires - created == timedelta(days=7)
    assert not Membership.objects.filter(tenant=tenant, user__email="ivy@example.test").exists()


def test_invitation_email_has_the_link_in_the_body_and_a_fixed_subject(
    admin_client, tenant, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = "https://desk.example.test"

    post_invite(admin_client, tenant, django_capture_on_commit_callbacks, email="ivy@example.test")

    [message] = mailoutbox
    assert message.to == ["ivy@example.test"]
    assert message.subject == SUBJECT
    token = token_from_email(message)
    assert f"https://desk.example.test/accept-invitation?token={token}\n" in message.body
    assert 'Ada Admin invited you to join the workspace "Alpha Co"' in message.body
    assert (message.content_subtype, message.alternatives) == ("plain", [])


def test_tenant_and_inviter_text_never_reach_a_header_and_stay_plain_text(
    member, api_client, mailoutbox, django_capture_on_commit_callbacks
):
    hostile = "Evil\r\nBcc: all@victim.test\r\n\r\n<a href='https://phish.test'>Pay</a>"
    tenant = tenant_recipe.make(slug="evil", name=hostile)
    inviter = member(Role.ADMIN, tenant=tenant, user_fields={"name": "Mallory\nSubject: x"})

    response = post_invite(
        api_client(inviter), tenant, django_capture_on_commit_callbacks, email="v@example.test"
    )

    assert response.status_code == 201, response.content
    [message] = mailoutbox
    headers = message.message().items()
    assert message.subject == SUBJECT
    assert not [value for _, value in headers if "Evil" in value or "Mallory" in value]
    assert message.recipients() == ["v@example.test"]
    # In the body: one line each, as plain text.
    assert (
        'Mallory Subject: x invited you to join the workspace "Evil Bcc: all@victim.test '
        "<a href='https://phish.test'>Pay</a>\""
    ) in message.body
    assert message.alternatives == []


def test_token_is_32_random_bytes_stored_only_as_its_sha256(pending, tenant):
    invitation, token = pending

    invitation.refresh_from_db()

    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 32
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation_row_text(invitation)
    assert token not in all_audit_text(tenant)


def test_invite_is_audited_without_the_token(pending, admin, tenant):
    invitation, token = pending

    assert audit_rows(tenant, "invitation.created") == [
        {
            "target_type": "invitation",
            "target_id": str(invitation.public_id),
            "target_label": "ivy@example.test",
            "actor_label": admin.user.email,
            "before": None,
            "after": {"email": "ivy@example.test", "role": "agent", "is_senior": True},
        }
    ]
    assert token not in all_audit_text(tenant)


def test_inviting_an_existing_member_is_400_on_email_and_sends_nothing(
    admin_client, member, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    agent = member(Role.AGENT)

    response = post_invite(
        admin_client,
        tenant,
        django_capture_on_commit_callbacks,
        email=agent.user.email.upper(),
    )

    assert "email" in field_errors(response)
    assert not Invitation.objects.exists()
    assert mailoutbox == []
    assert audit_rows(tenant, "invitation.created") == []


def test_inviting_a_member_of_another_tenant_is_allowed(
    admin_client, member, tenant, other_tenant, django_capture_on_commit_callbacks
):
    foreign = member(Role.OWNER, tenant=other_tenant)

    response = post_invite(
        admin_client, tenant, django_capture_on_commit_callbacks, email=foreign.user.email
    )

    assert response.status_code == 201, response.content
    foreign.refresh_from_db()
    assert foreign.role == Role.OWNER


def test_second_pending_invitation_for_an_address_is_400_on_email(
    pending, admin_client, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, _ = pending
    mailoutbox.clear()

    response = post_invite(
        admin_client, tenant, django_capture_on_commit_callbacks, email="IVY@example.test"
    )

    assert "email" in field_errors(response)
    assert list(Invitation.objects.values_list("pk", flat=True)) == [invitation.pk]
    assert mailoutbox == []


def test_the_database_refuses_a_second_pending_invitation(tenant):
    invitation_recipe.make(tenant=tenant, email="twice@example.test")

    with pytest.raises(Exception, match="tenants_invitation_pending_uniq"):
        invitation_recipe.make(tenant=tenant, email="twice@example.test")


def test_a_lapsed_invitation_gives_way_to_a_new_one(
    admin_client, admin, tenant, django_capture_on_commit_callbacks
):
    lapsed = invitation_recipe.make(
        tenant=tenant,
        email="ivy@example.test",
        expires_at=timezone.now() - timedelta(seconds=1),
    )

    response = post_invite(
        admin_client, tenant, django_capture_on_commit_callbacks, email="ivy@example.test"
    )

    assert response.status_code == 201, response.content
    lapsed.refresh_from_db()
    assert (lapsed.status, lapsed.current_status) == ("expired", "expired")
    assert Invitation.objects.get(public_id=response.json()["id"]).current_status == "pending"


def test_the_same_address_may_be_invited_by_two_tenants(
    pending, member, api_client, other_tenant, django_capture_on_commit_callbacks
):
    there = api_client(member(Role.ADMIN, tenant=other_tenant))

    response = post_invite(
        there, other_tenant, django_capture_on_commit_callbacks, email="ivy@example.test"
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("email", "not-an-email", id="email-invalid"),
        pytest.param("email", "", id="email-empty"),
        pytest.param("role", "superuser", id="role-unknown"),
        pytest.param("role", "", id="role-empty"),
    ],
)
def test_invite_with_bad_field_is_400(
    admin_client, tenant, mailoutbox, django_capture_on_commit_callbacks, field, value
):
    body = {"email": "ivy@example.test", "role": "agent", field: value}

    response = post_invite(admin_client, tenant, django_capture_on_commit_callbacks, **body)

    assert field in field_errors(response)
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_admin_inviting_an_owner_is_403_owner_required(
    admin_client, tenant, django_capture_on_commit_callbacks
):
    response = post_invite(
        admin_client,
        tenant,
        django_capture_on_commit_callbacks,
        email="ivy@example.test",
        role="owner",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "owner_required"
    assert not Invitation.objects.exists()


def test_owner_invites_an_owner(member, api_client, tenant, django_capture_on_commit_callbacks):
    owner = member(Role.OWNER)

    response = post_invite(
        api_client(owner),
        tenant,
        django_capture_on_commit_callbacks,
        email="ivy@example.test",
        role="owner",
    )

    assert response.status_code == 201, response.content
    assert Invitation.objects.get().role == Role.OWNER


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.OWNER, 201, id="owner-201"),
        pytest.param(Role.ADMIN, 201, id="admin-201"),
        pytest.param(Role.SUPERVISOR, 403, id="supervisor-403"),
        pytest.param(Role.AGENT, 403, id="agent-403"),
        pytest.param(Role.VIEWER, 403, id="viewer-403"),
    ],
)
def test_invite_by_role(
    member, api_client, tenant, django_capture_on_commit_callbacks, role, expected
):
    response = post_invite(
        api_client(member(role)),
        tenant,
        django_capture_on_commit_callbacks,
        email="ivy@example.test",
    )

    assert response.status_code == expected, response.content
    assert Invitation.objects.exists() is (expected == 201)


def test_admin_key_invites_for_the_person_it_traces_to(
    api_key_client, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    client, api_key = api_key_client(tenant, Role.ADMIN)

    response = post_invite(client, tenant, django_capture_on_commit_callbacks, email="k@x.test")

    assert response.status_code == 201, response.content
    assert response.json()["invited_by"] == api_key.created_by.email
    assert Invitation.objects.get().invited_by_key == api_key
    assert "(through an API key)" in mailoutbox[0].body
    assert [row["actor_label"] for row in audit_rows(tenant, "invitation.created")] == [
        f"api-key:{api_key.name} ({api_key.prefix})"
    ]


def test_admin_key_cannot_invite_an_owner(
    api_key_client, tenant, django_capture_on_commit_callbacks
):
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = post_invite(
        client, tenant, django_capture_on_commit_callbacks, email="k@x.test", role="owner"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "owner_required"
    assert not Invitation.objects.exists()


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


# --- POST auth/invitations/accept/ as a logged-in user ----------------------------------------


def test_logged_in_invitee_accepts_and_becomes_a_member(pending, tenant):
    invitation, token = pending
    ivy = make_user("ivy@example.test")

    response = bearer(ivy).post(ACCEPT_URL, {"token": token}, format="json")

    assert response.status_code == 201, response.content
    membership = Membership.objects.get(tenant=tenant, user=ivy)
    body = response.json()
    assert body["id"] == str(membership.public_id)
    assert body["user"] == {"id": str(ivy.public_id), "email": ivy.email, "name": ivy.name}
    assert (body["role"], body["is_senior"], body["is_active"]) == ("agent", True, True)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by, invitation.token_hash) == (
        "accepted",
        ivy,
        None,
    )
    assert audit_rows(tenant, "invitation.accepted") == [
        {
            "target_type": "invitation",
            "target_id": str(invitation.public_id),
            "target_label": "ivy@example.test",
            "actor_label": "ivy@example.test",
            "before": {"status": "pending"},
            "after": {"status": "accepted", "member": str(membership.public_id)},
        }
    ]
    assert [row["target_id"] for row in audit_rows(tenant, "member.added")] == [
        str(membership.public_id)
    ]
    assert bearer(ivy).get(f"/api/v1/t/{tenant.slug}/").status_code == 200


def test_another_logged_in_user_gets_403_and_the_invitation_stays_usable(pending, tenant):
    invitation, token = pending
    mallory = make_user("mallory@example.test")

    response = bearer(mallory).post(ACCEPT_URL, {"token": token}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "invitation_email_mismatch"
    assert not Membership.objects.filter(tenant=tenant, user=mallory).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert audit_rows(tenant, "invitation.accepted") == []
    ivy = make_user("ivy@example.test")
    assert bearer(ivy).post(ACCEPT_URL, {"token": token}, format="json").status_code == 201


def test_a_token_works_once(pending, tenant):
    _, token = pending
    ivy = make_user("ivy@example.test")
    client = bearer(ivy)
    client.post(ACCEPT_URL, {"token": token}, format="json")

    again = client.post(ACCEPT_URL, {"token": token}, format="json")

    assert field_errors(again) == {"token": [INVALID_LINK]}
    assert Membership.objects.filter(tenant=tenant, user=ivy).count() == 1


def test_accepting_when_already_a_member_is_409(pending, tenant, member):
    _, token = pending
    ivy = make_user("ivy@example.test")
    owner = member(Role.OWNER)
    services.member_add(
        tenant=tenant, actor=Actor(user=owner.user, role=owner.role), email=ivy.email, role="viewer"
    )

    response = bearer(ivy).post(ACCEPT_URL, {"token": token}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "already_member"
    assert Membership.objects.get(tenant=tenant, user=ivy).role == Role.VIEWER


def test_logged_in_accept_with_account_fields_is_400(pending, tenant):
    _, token = pending
    ivy = make_user("ivy@example.test")

    response = bearer(ivy).post(
        ACCEPT_URL, {"token": token, "password": PASSWORD, "name": "x"}, format="json"
    )

    assert field_errors(response) == {"password": ["Unknown field."], "name": ["Unknown field."]}
    assert not Membership.objects.filter(tenant=tenant, user=ivy).exists()


def test_api_key_cannot_accept_an_invitation(pending, api_key_client, tenant):
    invitation, token = pending
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = client.post(ACCEPT_URL, {"token": token}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_user"
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_garbage_bearer_token_is_401_not_an_anonymous_accept(pending):
    _, token = pending
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = client.post(
        ACCEPT_URL, {"token": token, "password": PASSWORD, "name": "Ivy"}, format="json"
    )

    assert response.status_code == 401
    assert not User.objects.filter(email="ivy@example.test").exists()


# --- POST auth/invitations/accept/ anonymously (new account) ----------------------------------


def test_anonymous_invitee_creates_the_account_and_is_logged_in(pending, tenant, anon_client):
    invitation, token = pending

    response = anon_client.post(
        ACCEPT_URL, {"token": token, "password": PASSWORD, "name": "Ivy Invitee"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    ivy = User.objects.get(email="ivy@example.test")
    assert (ivy.name, ivy.check_password(PASSWORD)) == ("Ivy Invitee", True)
    membership = Membership.objects.get(tenant=tenant, user=ivy)
    assert (membership.role, membership.is_senior) == (Role.AGENT, True)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == ("accepted", ivy)
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    memberships = me.get(ME_URL).json()["memberships"]
    assert [(m["tenant"]["slug"], m["role"]) for m in memberships] == [(tenant.slug, "agent")]
    # The emailed token proved the mailbox: the new account can log in with its password.
    login = anon_client.post(
        "/api/v1/auth/token/", {"email": ivy.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content
    [entry] = audit_rows(tenant, "invitation.accepted")
    assert entry["actor_label"] == "ivy@example.test"


def test_anonymous_accept_for_an_address_with_an_account_is_409_log_in(pending, anon_client):
    invitation, token = pending
    ivy = make_user("ivy@example.test")

    response = anon_client.post(
        ACCEPT_URL, {"token": token, "password": "x-Other-pass-991", "name": "I"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "account_exists"
    assert "log in" in response.json()["detail"]
    assert not Membership.objects.filter(user=ivy).exists()
    assert ivy.check_password(PASSWORD)
    invitation.refresh_from_db()
    assert invitation.status == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"password": "123"}, "password", id="weak-password"),
        pytest.param({"password": "ivy@example.test"}, "password", id="password-like-email"),
        pytest.param({"password": None}, "password", id="password-missing"),
        pytest.param({"name": None}, "name", id="name-missing"),
        pytest.param({"name": "   "}, "name", id="name-blank"),
        pytest.param({"name": "x" * 151}, "name", id="name-too-long"),
    ],
)
def test_anonymous_accept_with_bad_account_fields_is_400(pending, anon_client, body, field):
    invitation, token = pending
    full = {"token": token, "password": PASSWORD, "name": "Ivy", **body}
    full = {key: value for key, value in full.items() if value is not None}

    response = anon_client.post(ACCEPT_URL, full, format="json")

    assert field in field_errors(response)
    assert not User.objects.filter(email="ivy@example.test").exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


TOKEN = "t" * 43


@pytest.mark.parametrize(
    ("fields", "sent"),
    [
        pytest.param(lambda: {}, "u" * 43, id="unknown"),
        pytest.param(
            lambda: {"expires_at": timezone.now() - timedelta(seconds=1)}, TOKEN, id="expired"
        ),
        pytest.param(lambda: {"status": "revoked"}, TOKEN, id="revoked"),
        pytest.param(lambda: {"status": "accepted"}, TOKEN, id="used"),
    ],
)
def test_unknown_expired_revoked_and_used_tokens_get_the_same_400(
    tenant, anon_client, fields, sent
):
    invitation_recipe.make(
        tenant=tenant,
        email="t@example.test",
        token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(),
        **fields(),
    )

    response = anon_client.post(
        ACCEPT_URL, {"token": sent, "password": PASSWORD, "name": "T"}, format="json"
    )

    assert field_errors(response) == {"token": [INVALID_LINK]}
    assert not User.objects.filter(email="t@example.test").exists()
    assert not Membership.objects.filter(tenant=tenant).exists()


@pytest.mark.parametrize("token", ["", "t" * 10_000, 5, None], ids=["empty", "huge", "int", "null"])
def test_malformed_token_is_400_on_token(pending, anon_client, token):
    invitation, _ = pending

    response = anon_client.post(
        ACCEPT_URL, {"token": token, "password": PASSWORD, "name": "Ivy"}, format="json"
    )

    assert set(field_errors(response)) == {"token"}
    assert not User.objects.filter(email="ivy@example.test").exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_unknown_token_looks_the_same_whether_or_not_the_address_has_an_account(anon_client, db):
    make_user("ivy@example.test")

    response = anon_client.post(
        ACCEPT_URL, {"token": "t" * 43, "password": PASSWORD, "name": "Ivy"}, format="json"
    )

    assert field_errors(response) == {"token": [INVALID_LINK]}


def test_an_invitation_of_a_deleted_tenant_cannot_be_accepted(pending, tenant, member, anon_client):
    _, token = pending
    owner = member(Role.OWNER)
    services.tenant_delete(tenant=tenant, actor=Actor(user=owner.user, role=owner.role))

    response = anon_client.post(
        ACCEPT_URL, {"token": token, "password": PASSWORD, "name": "Ivy"}, format="json"
    )

    assert field_errors(response) == {"token": [INVALID_LINK]}
    assert not User.objects.filter(email="ivy@example.test").exists()
