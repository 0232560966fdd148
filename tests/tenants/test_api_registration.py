"""Registration proves the mailbox: one 202 for every address, a verification link for a new
account, a notice (no link) for a registered one, and no bearer token before verification."""

from datetime import datetime, timedelta
from io import StringIO
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from knox.models import AuthToken

from notifications.tasks import account_email_send_task
from tenants import services
from tenants.models import User
from tenants.tokens import EmailVerificationTokens, link_token_make, link_token_user
from tests.concurrency import race
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.notifications.recipes import account_email_recipe
from tests.tenants.helpers import link_token, with_password
from tests.tenants.recipes import membership_recipe, unverified_user_recipe, user_recipe

REGISTER_URL = "/api/v1/auth/register/"
VERIFY_URL = "/api/v1/auth/verify-email/"
TOKEN_URL = "/api/v1/auth/token/"


def _register_body(**overrides) -> dict:
    return {"email": "new.person@example.test", "password": PASSWORD, "name": "New Person"} | (
        overrides
    )


def _login(client, email: str, password: str = PASSWORD):
    return client.post(TOKEN_URL, {"email": email, "password": password}, format="json")


@pytest.fixture
def register(db, anon_client, django_capture_on_commit_callbacks, mailoutbox):
    """register(**body) -> (response, emails sent by the registration)."""

    def post(**overrides):
        sent_before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = anon_client.post(REGISTER_URL, _register_body(**overrides), format="json")
        return response, mailoutbox[sent_before:]

    return post


# --- register: one answer for every address ----------------------------------------------------


def test_register_new_address_emails_a_verification_link(register):
    response, sent = register(email="Fresh@Example.test")

    assert response.status_code == 202, response.content
    assert [m.to for m in sent] == [["fresh@example.test"]]
    assert "Confirm your email" in sent[0].subject
    token = link_token(sent[0], "verify-email")
    user = User.objects.get(email="fresh@example.test")
    assert link_token_user(token=token, purpose="email_verification") == user
    assert not user.is_email_verified


def test_register_known_address_gets_the_same_answer_and_a_notice_without_a_link(register):
    known = user_recipe.make(email="known@example.test")

    new_response, _ = register(email="unknown@example.test")
    known_response, sent = register(email="KNOWN@example.test")

    assert known_response.status_code == new_response.status_code == 202
    assert known_response.json() == new_response.json()
    assert [m.to for m in sent] == [["known@example.test"]]
    assert "tried to register" in sent[0].subject
    assert "token" not in sent[0].body
    assert "http" not in sent[0].body
    assert User.objects.filter(email__iexact="known@example.test").get() == known


def test_register_known_unverified_address_does_not_resend_a_link(register):
    unverified_user_recipe.make(email="pending@example.test")

    response, sent = register(email="pending@example.test")

    assert response.status_code == 202
    assert [m.to for m in sent] == [["pending@example.test"]]
    assert "token" not in sent[0].body


def test_register_address_of_an_inactive_account_answers_202_and_sends_nothing(register):
    user_recipe.make(email="gone@example.test", is_active=False)

    response, sent = register(email="gone@example.test")

    assert response.status_code == 202
    assert sent == []
    assert User.objects.filter(email="gone@example.test").count() == 1


def test_register_weak_password_is_the_same_400_for_known_and_new_addresses(register):
    user_recipe.make(email="known@example.test")

    new_response, new_sent = register(email="unknown@example.test", password="password123")
    known_response, known_sent = register(email="known@example.test", password="password123")

    assert field_errors(new_response)["password"]
    assert known_response.json() == new_response.json()
    assert new_sent == known_sent == []
    assert not User.objects.filter(email="unknown@example.test").exists()


def test_register_service_rejects_a_malformed_email_without_the_serializer(db):
    with pytest.raises(ValidationError) as caught:
        services.user_register(email="not an email", password=PASSWORD, name="X")

    assert caught.value.message_dict["email"]
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_two_registrations_of_one_address_at_once_make_one_account(mailoutbox):
    def call():
        return services.user_register(email="twice@example.test", password=PASSWORD, name="T")

    results = race(call, call)

    assert results == [None, None]
    assert User.objects.filter(email="twice@example.test").count() == 1
    subjects = sorted(m.subject for m in mailoutbox)
    assert len(subjects) == 2
    assert ["Confirm" in s for s in subjects].count(True) == 1


# --- verify-email ------------------------------------------------------------------------------


def test_verify_email_with_the_emailed_token_lets_the_account_log_in(register, anon_client):
    _, sent = register(email="fresh@example.test")
    token = link_token(sent[0], "verify-email")
    before = _login(anon_client, "fresh@example.test")

    response = anon_client.post(VERIFY_URL, {"token": token}, format="json")

    assert before.status_code == 403
    assert response.status_code == 204, response.content
    assert User.objects.get(email="fresh@example.test").is_email_verified
    assert _login(anon_client, "fresh@example.test").status_code == 200


def test_verify_email_token_works_once(register, anon_client):
    _, sent = register(email="fresh@example.test")
    token = link_token(sent[0], "verify-email")
    anon_client.post(VERIFY_URL, {"token": token}, format="json")
    verified_at = User.objects.get(email="fresh@example.test").email_verified_at

    again = anon_client.post(VERIFY_URL, {"token": token}, format="json")

    assert field_errors(again) == {"token": ["This link is invalid or has expired."]}
    assert User.objects.get(email="fresh@example.test").email_verified_at == verified_at


def test_verify_email_expired_token_is_400(settings, anon_client, db):
    user = unverified_user_recipe.make()
    token = link_token_make(user=user, purpose="email_verification")
    later = datetime.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT + 60)
    almost = datetime.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT - 60)

    with patch.object(EmailVerificationTokens, "_now", return_value=later):
        expired = anon_client.post(VERIFY_URL, {"token": token}, format="json")
    user.refresh_from_db()
    expired_left_unverified = not user.is_email_verified
    with patch.object(EmailVerificationTokens, "_now", return_value=almost):
        in_time = anon_client.post(VERIFY_URL, {"token": token}, format="json")

    assert field_errors(expired) == {"token": ["This link is invalid or has expired."]}
    assert expired_left_unverified
    assert in_time.status_code == 204, in_time.content


def _tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda user, other: _tampered(link_token_make(user=user, purpose="email_verification")),
            id="tampered-hash",
        ),
        pytest.param(
            lambda user, other: (
                link_token_make(user=other, purpose="email_verification").split(".")[0]
                + "."
                + link_token_make(user=user, purpose="email_verification").split(".")[1]
            ),
            id="other-users-id",
        ),
        pytest.param(
            lambda user, other: link_token_make(user=user, purpose="password_reset"),
            id="reset-token",
        ),
        pytest.param(lambda user, other: "", id="empty"),
        pytest.param(lambda user, other: "no-dot-here", id="no-dot"),
        pytest.param(lambda user, other: "a.b", id="short-garbage"),
        pytest.param(lambda user, other: "!!!!.1-abc", id="not-base64"),
        pytest.param(lambda user, other: "é" * 30 + ".x-y", id="non-ascii"),
        pytest.param(lambda user, other: "AAAA." + "1-" + "0" * 30, id="short-uid"),
        pytest.param(
            lambda user, other: (
                link_token_make(user=user, purpose="email_verification").split(".")[0]
                + ".no-dash-hash-here"
            ),
            id="hash-without-timestamp",
        ),
        pytest.param(
            lambda user, other: (
                link_token_make(user=user, purpose="email_verification").split(".")[0]
                + ".zzzzzzzzzzzzzzzz-abc"
            ),
            id="timestamp-not-base36",
        ),
    ],
)
def test_verify_email_bad_token_is_400_and_verifies_nobody(anon_client, db, make_token):
    user = unverified_user_recipe.make()
    other = unverified_user_recipe.make()

    response = anon_client.post(VERIFY_URL, {"token": make_token(user, other)}, format="json")

    assert response.status_code == 400, response.content
    assert "token" in field_errors(response)
    assert not User.objects.filter(email_verified_at__isnull=False).exists()


@pytest.mark.parametrize("token", [None, 5, ["a.b"], {"t": 1}, "x" * 201])
def test_verify_email_token_of_the_wrong_shape_is_400(anon_client, db, token):
    response = anon_client.post(VERIFY_URL, {"token": token}, format="json")

    assert "token" in field_errors(response)


def test_link_token_user_refuses_strings_that_cannot_be_encoded(db):
    user = unverified_user_recipe.make()
    real = link_token_make(user=user, purpose="email_verification")

    assert link_token_user(token="\ud800" + real, purpose="email_verification") is None
    assert link_token_user(token=real, purpose="email_verification") == user


def test_verification_email_is_not_sent_to_an_address_verified_meanwhile(db, mailoutbox):
    pending = unverified_user_recipe.make()
    verified = user_recipe.make()
    rows = [
        account_email_recipe.make(kind="verification", user_id=user.pk)
        for user in (pending, verified)
    ]

    sent = [account_email_send_task.delay(row_id=row.pk).get() for row in rows]

    assert sent == ["sent", "suppressed"]
    assert [m.to for m in mailoutbox] == [[pending.email]]


def test_verify_email_token_of_an_inactive_account_is_400(anon_client, db):
    user = unverified_user_recipe.make(is_active=False)
    token = link_token_make(user=user, purpose="email_verification")

    response = anon_client.post(VERIFY_URL, {"token": token}, format="json")

    assert "token" in field_errors(response)


def test_verify_email_token_for_a_replaced_address_is_400(anon_client, db):
    user = unverified_user_recipe.make(email="old@example.test")
    token = link_token_make(user=user, purpose="email_verification")
    User.objects.filter(pk=user.pk).update(email="new@example.test")

    response = anon_client.post(VERIFY_URL, {"token": token}, format="json")

    assert "token" in field_errors(response)
    assert not User.objects.get(pk=user.pk).is_email_verified


# --- login needs a verified address --------------------------------------------------------------


def test_login_unverified_with_the_right_password_is_403_email_not_verified(anon_client, db):
    user = with_password(unverified_user_recipe.make(email="pending@example.test"))

    response = _login(anon_client, "pending@example.test")

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "email_not_verified"
    assert set(response.json()) == {"detail", "code"}
    assert not AuthToken.objects.filter(user=user).exists()


def test_login_unverified_with_a_wrong_password_is_the_unknown_account_400(anon_client, db):
    with_password(unverified_user_recipe.make(email="pending@example.test"))

    wrong = _login(anon_client, "pending@example.test", "wrong-password")
    unknown = _login(anon_client, "nobody@example.test", "wrong-password")

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_login"


def test_login_inactive_unverified_is_400_not_403(anon_client, db):
    with_password(unverified_user_recipe.make(email="gone@example.test", is_active=False))

    response = _login(anon_client, "gone@example.test")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_login"


@pytest.mark.parametrize("path", ["/api-auth/login/", "/admin/login/"])
def test_html_login_of_an_unverified_account_is_refused(client, tenant, path):
    user = with_password(unverified_user_recipe.make(email="pending@example.test"))
    membership_recipe.make(user=user, tenant=tenant, role="admin")

    response = client.post(path, {"username": "pending@example.test", "password": PASSWORD})

    assert response.status_code == 200  # the form again
    assert "Confirm your email address" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/api-auth/login/", "/admin/login/"])
def test_html_login_of_a_verified_account_is_accepted(client, tenant, path):
    user = with_password(user_recipe.make(email="ok@example.test"))
    membership_recipe.make(user=user, tenant=tenant, role="admin")

    response = client.post(path, {"username": "ok@example.test", "password": PASSWORD})

    assert response.status_code == 302, response.content
    assert int(client.session["_auth_user_id"]) == user.pk


# --- accounts that exist without registering ------------------------------------------------------


def test_createsuperuser_makes_a_verified_account_that_can_log_in(db, monkeypatch, anon_client):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command(
        "createsuperuser",
        interactive=False,
        email="root@example.test",
        name="Root",
        stdout=StringIO(),
    )

    user = User.objects.get(email="root@example.test")
    assert (user.is_superuser, user.is_email_verified) == (True, True)
    assert _login(anon_client, "root@example.test").status_code == 200


def test_create_user_makes_an_unverified_account(db):
    user = User.objects.create_user(email="plain@example.test", password=PASSWORD, name="P")

    assert not user.is_email_verified


def _email_verification_migration():
    executor = MigrationExecutor(connections["owner"])
    (node,) = [
        key
        for key in executor.loader.graph.nodes
        if key[0] == "tenants" and key[1].endswith("_user_email_verified_at")
    ]
    (parent,) = [p for p in executor.loader.graph.node_map[node].parents if p[0] == "tenants"]
    return executor, node, parent


@pytest.mark.django_db(databases=["default", "owner"])
def test_users_that_predate_the_migration_are_marked_verified():
    # Everything here runs on the owner connection (the migration's), in the test transaction.
    executor, node, parent = _email_verification_migration()
    executor.migrate([parent])
    old_apps = executor.loader.project_state(parent).apps
    old_apps.get_model("tenants", "User").objects.using("owner").create(
        email="old@example.test", name="Old", password="!"
    )

    executor.loader.build_graph()
    executor.migrate([node])

    assert User.objects.using("owner").get(email="old@example.test").is_email_verified
    assert User.objects.using("owner").filter(email_verified_at__isnull=True).count() == 0
