"""Inviting (POST t/<slug>/invitations/), the only way into a tenant: the invitation and its email
(link in the body, fixed subject, no tenant or inviter text in a header), a token stored only as
its hash, the audit entry, who may be invited, bad fields, and who may invite (roles, API keys)."""

import base64
import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tenants.models import Invitation, Membership, Role
from tests.errors import field_errors
from tests.tenants.helpers import audit_rows
from tests.tenants.invitations import all_audit_text, invitations_url, token_from_email
from tests.tenants.recipes import invitation_recipe, tenant_recipe

# What the invitee reads in the subject, literally: no tenant or inviter text in any header.
SUBJECT = "You have been invited to Tenantdesk"


def invitation_row_text(invitation) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT i::text FROM tenants_invitation i WHERE id = %s", [invitation.pk])
        return cursor.fetchone()[0]


def post_invite(client, tenant, capture, **body):
    with capture(execute=True):
        return client.post(invitations_url(tenant), {"role": "agent", **body}, format="json")


# Overrides the conftest `admin` (and so the admin_client and pending built on it): the invitation
# email names its inviter.
@pytest.fixture
def admin(member):
    return member(Role.ADMIN, user_fields={"name": "Ada Admin"})


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
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="https://desk.example.test/accept-invitation?token={token}"' in html


def test_tenant_and_inviter_text_never_reach_a_header_and_stay_text(
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
    # In the HTML part: escaped, never markup.
    [(html, _)] = message.alternatives
    assert "<a href='https://phish.test'>" not in html
    assert "&lt;a href=&#x27;https://phish.test&#x27;&gt;Pay&lt;/a&gt;" in html


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
