"""Password reset by email: one 202 for every address, a single-use expiring link for the owner,
and a confirm step that sets the password, revokes every token and proves the mailbox."""

from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError

from tenants import services
from tenants.models import User
from tenants.tokens import PasswordResetTokens, link_token_make
from tests.concurrency import race
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import (
    link_token,
    tokens_alive,
    with_password,
    with_throttle_rates,
)
from tests.tenants.recipes import unverified_user_recipe, user_recipe

TOKEN_URL = "/api/v1/auth/token/"
RESET_URL = "/api/v1/auth/password-reset/"
RESET_CONFIRM_URL = "/api/v1/auth/password-reset/confirm/"
NEW_PASSWORD = "quiet-lantern-harbour-82"
INVALID_LINK = {"token": ["This link is invalid or has expired."]}


@pytest.fixture
def user(db):
    return with_password(user_recipe.make(email="pat@example.test", name="Pat"))


@pytest.fixture
def tokens(user):
    """Three live bearer tokens of `user`, as (AuthToken, raw token) pairs."""
    return [services.auth_token_create(user=user) for _ in range(3)]


# --- password reset: request ---------------------------------------------------------------------


@pytest.fixture
def request_reset(db, anon_client, django_capture_on_commit_callbacks, mailoutbox):
    """request_reset(email) -> (response, emails sent by the request)."""

    def post(email: str, **extra):
        sent_before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = anon_client.post(RESET_URL, {"email": email}, format="json", **extra)
        return response, mailoutbox[sent_before:]

    return post


def test_password_reset_request_emails_the_owner_a_link(request_reset, user):
    response, sent = request_reset("PAT@example.test")

    assert response.status_code == 202, response.content
    assert set(response.json()) == {"detail"}
    assert [m.to for m in sent] == [["pat@example.test"]]
    assert link_token(sent[0], "reset-password")


@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_password_reset_request_answers_the_same_for_other_addresses(request_reset, user, who):
    user_recipe.make(email="inactive@example.test", is_active=False)
    known, _ = request_reset("pat@example.test")

    response, sent = request_reset(f"{who}@example.test")

    assert response.status_code == known.status_code == 202
    assert response.json() == known.json()
    assert sent == []


def test_password_reset_request_with_a_malformed_email_is_400(request_reset, user):
    response, sent = request_reset("pat at example")

    assert "email" in field_errors(response)
    assert sent == []


def test_password_reset_service_rejects_a_malformed_email_without_the_serializer(
    db, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as e:
        services.password_reset_request(email="pat at example")

    assert list(e.value.message_dict) == ["email"]
    assert mailoutbox == []


def test_password_reset_request_is_throttled_per_client_address(settings, request_reset, user):
    with_throttle_rates(settings, password_reset="2/min")

    statuses = [request_reset(f"x{i}@example.test")[0].status_code for i in range(2)]
    blocked, sent = request_reset("pat@example.test")
    elsewhere, _ = request_reset("pat@example.test", REMOTE_ADDR="10.1.2.3")

    assert statuses == [202, 202]
    assert blocked.status_code == 429
    assert "Retry-After" in blocked
    assert sent == []
    assert elsewhere.status_code == 202


def test_password_reset_emails_to_one_address_are_capped_across_clients(
    settings, request_reset, user
):
    with_throttle_rates(settings, account_email="2/min")

    statuses = [
        request_reset("pat@example.test", REMOTE_ADDR=f"10.0.0.{i}")[0].status_code
        for i in range(2)
    ]
    blocked, sent = request_reset("Pat@Example.test", REMOTE_ADDR="10.0.0.9")
    other, _ = request_reset("someone@example.test", REMOTE_ADDR="10.0.0.9")

    assert statuses == [202, 202]
    assert blocked.status_code == 429
    assert sent == []
    assert other.status_code == 202


# --- password reset: confirm ---------------------------------------------------------------------


def _reset_token(request_reset, email="pat@example.test") -> str:
    _, sent = request_reset(email)
    return link_token(sent[0], "reset-password")


def test_password_reset_confirm_sets_the_password_and_revokes_every_token(
    request_reset, anon_client, user, tokens
):
    token = _reset_token(request_reset)

    response = anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 204, response.content
    assert tokens_alive(tokens) == [False, False, False]
    old = anon_client.post(TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json")
    new = anon_client.post(
        TOKEN_URL, {"email": user.email, "password": NEW_PASSWORD}, format="json"
    )
    assert old.status_code == 400
    assert new.status_code == 200, new.content


def test_password_reset_confirm_verifies_the_email(request_reset, anon_client, db):
    pending = with_password(unverified_user_recipe.make(email="pending@example.test"))
    token = _reset_token(request_reset, "pending@example.test")

    response = anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 204, response.content
    pending.refresh_from_db()
    assert pending.is_email_verified
    login = anon_client.post(
        TOKEN_URL, {"email": "pending@example.test", "password": NEW_PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content


def test_password_reset_token_works_once(request_reset, anon_client, user):
    token = _reset_token(request_reset)
    anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    again = anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": "another-lantern-9"}, format="json"
    )

    assert field_errors(again) == INVALID_LINK
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_token_expires(settings, anon_client, user):
    token = link_token_make(user=user, purpose="password_reset")
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    almost = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60)
    body = {"token": token, "new_password": NEW_PASSWORD}

    with patch.object(PasswordResetTokens, "_now", return_value=later):
        expired = anon_client.post(RESET_CONFIRM_URL, body, format="json")
    user.refresh_from_db()
    unchanged = user.check_password(PASSWORD)
    with patch.object(PasswordResetTokens, "_now", return_value=almost):
        in_time = anon_client.post(RESET_CONFIRM_URL, body, format="json")

    assert field_errors(expired) == INVALID_LINK
    assert unchanged
    assert in_time.status_code == 204, in_time.content


def test_password_reset_token_is_void_once_the_password_changed_otherwise(anon_client, user):
    token = link_token_make(user=user, purpose="password_reset")
    with_password(User.objects.get(pk=user.pk), "changed-elsewhere-77")

    response = anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert field_errors(response) == INVALID_LINK


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            lambda user: link_token_make(user=user, purpose="password_reset")[:-1] + "x",
            id="tampered",
        ),
        pytest.param(
            lambda user: link_token_make(user=user, purpose="email_verification"),
            id="verification-token",
        ),
        pytest.param(lambda user: "not-a-token", id="malformed"),
        pytest.param(
            lambda user: "." + link_token_make(user=user, purpose="password_reset").split(".")[1],
            id="no-uid",
        ),
        pytest.param(
            lambda user: link_token_make(user=user, purpose="password_reset").split(".")[0] + ".",
            id="no-hash",
        ),
        pytest.param(
            lambda user: link_token_make(user=user, purpose="password_reset") + ".x",
            id="extra-part",
        ),
    ],
)
def test_password_reset_bad_token_is_400_and_changes_nothing(anon_client, user, tokens, token):
    response = anon_client.post(
        RESET_CONFIRM_URL, {"token": token(user), "new_password": NEW_PASSWORD}, format="json"
    )

    assert field_errors(response) == INVALID_LINK
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert tokens_alive(tokens) == [True, True, True]


def test_password_reset_weak_password_is_400_and_the_link_still_works(anon_client, user):
    token = link_token_make(user=user, purpose="password_reset")

    weak = anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": "password123"}, format="json"
    )
    strong = anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert list(field_errors(weak)) == ["new_password"]
    assert strong.status_code == 204, strong.content


def test_password_reset_of_a_deactivated_account_is_400(anon_client, user):
    token = link_token_make(user=user, purpose="password_reset")
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = anon_client.post(
        RESET_CONFIRM_URL, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert field_errors(response) == INVALID_LINK


def test_password_reset_confirm_is_throttled_per_client_address(settings, anon_client, user):
    with_throttle_rates(settings, password_reset="2/min")
    body = {"token": "garbage.1-abc", "new_password": NEW_PASSWORD}

    statuses = [
        anon_client.post(RESET_CONFIRM_URL, body, format="json").status_code for _ in range(2)
    ]
    good = link_token_make(user=user, purpose="password_reset")
    blocked = anon_client.post(
        RESET_CONFIRM_URL, {"token": good, "new_password": NEW_PASSWORD}, format="json"
    )

    assert statuses == [400, 400]
    assert blocked.status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_one_reset_token_used_twice_at_once_sets_one_password():
    user = with_password(user_recipe.make())
    token = link_token_make(user=user, purpose="password_reset")

    passwords = ["first-lantern-harbour-1", "second-lantern-harbour-2"]

    def confirm(password):
        return lambda: services.password_reset_confirm(token=token, new_password=password)

    results = race(*(confirm(p) for p in passwords))

    winners = [i for i, r in enumerate(results) if isinstance(r, User)]
    losers = [r for r in results if not isinstance(r, User)]
    assert len(winners) == 1
    assert [e.message_dict for e in losers] == [INVALID_LINK]
    user.refresh_from_db()
    assert user.check_password(passwords[winners[0]])
