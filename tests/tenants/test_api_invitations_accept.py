"""Accepting an invitation (POST auth/invitations/accept/): as the logged-in invitee (never
another user or an API key), or anonymously creating the account; a token works once, and an
unknown, expired, revoked, used or malformed one gets the same 400."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenants import services
from tenants.access import Actor
from tenants.models import Membership, Role, User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import audit_rows
from tests.tenants.invitations import ACCEPT_URL, INVALID_LINK
from tests.tenants.recipes import invitation_recipe, user_recipe

ME_URL = "/api/v1/auth/me/"


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


# Overrides the conftest `admin` (and so the admin_client and pending built on it): the invitation
# email names its inviter.
@pytest.fixture
def admin(member):
    return member(Role.ADMIN, user_fields={"name": "Ada Admin"})


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
