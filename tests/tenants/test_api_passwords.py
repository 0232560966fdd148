"""Passwords and the access they justify: change, logout everywhere, reset by email, and token
revocation on every path a password can change by (API, reset, admin, shell, command)."""

import itertools
from datetime import datetime, timedelta
from io import StringIO
from unittest.mock import patch

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from tenants import services
from tenants.models import Role, User
from tenants.tokens import PasswordResetTokens, link_token_make
from tests.concurrency import race
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import link_token
from tests.tenants.recipes import unverified_user_recipe, user_recipe

ME_URL = "/api/v1/auth/me/"
TOKEN_URL = "/api/v1/auth/token/"
PASSWORD_URL = "/api/v1/auth/password/"
LOGOUT_ALL_URL = "/api/v1/auth/logout-all/"
RESET_URL = "/api/v1/auth/password-reset/"
RESET_CONFIRM_URL = "/api/v1/auth/password-reset/confirm/"
NEW_PASSWORD = "quiet-lantern-harbour-82"
INVALID_LINK = {"token": ["This link is invalid or has expired."]}


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _with_password(user, password: str = PASSWORD):
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def user(db):
    return _with_password(user_recipe.make(email="pat@example.test", name="Pat"))


@pytest.fixture
def tokens(user):
    """Three live bearer tokens of `user`, as (AuthToken, raw token) pairs."""
    return [services.auth_token_create(user=user) for _ in range(3)]


def _live(tokens) -> list[bool]:
    return [_bearer(raw).get(ME_URL).status_code == 200 for _, raw in tokens]


def _with_rates(settings, **rates) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


# --- POST auth/password/ -----------------------------------------------------------------------


def test_password_change_keeps_the_calling_token_and_revokes_the_others(user, tokens):
    (_, caller), *_ = tokens

    response = _bearer(caller).post(
        PASSWORD_URL,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204, response.content
    assert _live(tokens) == [True, False, False]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)


def test_password_change_with_a_wrong_current_password_is_400_and_changes_nothing(user, tokens):
    (_, caller), *_ = tokens
    before = user.password

    response = _bearer(caller).post(
        PASSWORD_URL,
        {"current_password": "not-my-password", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert field_errors(response) == {"current_password": ["The current password is not correct."]}
    user.refresh_from_db()
    assert user.password == before
    assert _live(tokens) == [True, True, True]


@pytest.mark.parametrize("new_password", ["short", "password123", "12345678901234", "pat@example"])
def test_password_change_to_a_weak_password_is_400_on_new_password(user, tokens, new_password):
    (_, caller), *_ = tokens
    before = user.password

    response = _bearer(caller).post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": new_password}, format="json"
    )

    assert list(field_errors(response)) == ["new_password"]
    user.refresh_from_db()
    assert user.password == before
    assert _live(tokens) == [True, True, True]


@pytest.mark.parametrize("missing", ["current_password", "new_password"])
def test_password_change_missing_field_is_400(user, tokens, missing):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    del body[missing]

    response = _bearer(tokens[0][1]).post(PASSWORD_URL, body, format="json")

    assert field_errors(response) == {missing: ["This field is required."]}
    assert _live(tokens) == [True, True, True]


def test_password_change_with_an_api_key_is_403_not_a_user(api_key_client, tenant):
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = client.post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_a_user"


def test_password_change_without_credentials_is_401(anon_client, db):
    response = anon_client.post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 401, response.content


def test_wrong_current_passwords_use_up_the_accounts_login_quota(settings, user, tokens):
    _with_rates(settings, login_account="2/min")
    client = _bearer(tokens[0][1])
    wrong = {"current_password": "guess", "new_password": NEW_PASSWORD}

    guesses = [client.post(PASSWORD_URL, wrong, format="json").status_code for _ in range(2)]
    right = client.post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    login = APIClient().post(TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json")

    assert guesses == [400, 400]
    assert right.status_code == 429, right.content
    assert login.status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_successful_password_changes_do_not_use_up_the_quota(settings, user, tokens):
    _with_rates(settings, login_account="2/min")
    client = _bearer(tokens[0][1])
    passwords = [PASSWORD, NEW_PASSWORD, "second-lantern-harbour-83", "third-lantern-harbour-84"]

    statuses = [
        client.post(
            PASSWORD_URL, {"current_password": old, "new_password": new}, format="json"
        ).status_code
        for old, new in itertools.pairwise(passwords)
    ]

    assert statuses == [204, 204, 204]


# --- POST auth/logout-all/ -----------------------------------------------------------------------


def test_logout_all_revokes_every_token_of_the_user_only(user, tokens):
    other_user = user_recipe.make()
    _, other_raw = services.auth_token_create(user=other_user)

    response = _bearer(tokens[0][1]).post(LOGOUT_ALL_URL)

    assert response.status_code == 204, response.content
    assert _live(tokens) == [False, False, False]
    assert not AuthToken.objects.filter(user=user).exists()
    assert _bearer(other_raw).get(ME_URL).status_code == 200


def test_logout_all_with_an_api_key_is_403_not_a_user(api_key_client, tenant):
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = client.post(LOGOUT_ALL_URL)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_a_user"


def test_logout_all_without_credentials_is_401(anon_client, db):
    response = anon_client.post(LOGOUT_ALL_URL)

    assert response.status_code == 401, response.content


# --- every other way a password changes revokes the tokens ----------------------------------------


def test_set_password_and_save_from_a_shell_revokes_every_token(user, tokens):
    fresh = User.objects.get(pk=user.pk)

    fresh.set_password(NEW_PASSWORD)
    fresh.save()

    assert _live(tokens) == [False, False, False]


def test_making_the_password_unusable_revokes_every_token(user, tokens):
    user.set_unusable_password()
    user.save(update_fields=["password"])

    assert _live(tokens) == [False, False, False]


def test_saving_other_fields_keeps_the_tokens(user, tokens):
    user.name = "Renamed"
    user.save()
    User.objects.get(pk=user.pk).save(update_fields=["name"])

    assert _live(tokens) == [True, True, True]


class FastUpgradeHasher(MD5PasswordHasher):
    """A "stronger" hasher than the suite's MD5, so logging in rehashes the stored password."""

    algorithm = "md5-upgraded"


def test_rehashing_the_password_on_login_keeps_the_tokens(settings, user, tokens):
    settings.PASSWORD_HASHERS = [
        f"{__name__}.FastUpgradeHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.password.startswith("md5-upgraded$")  # the login did rehash
    assert _live(tokens) == [True, True, True]


def test_changepassword_command_revokes_every_token(user, tokens, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", user.email, stdout=StringIO())

    assert _live(tokens) == [False, False, False]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.fixture
def superuser_client(client, db):
    client.force_login(user_recipe.make(is_superuser=True, is_staff=True))
    return client


def test_admin_password_change_revokes_the_users_tokens(superuser_client, user, tokens):
    response = superuser_client.post(
        f"/admin/tenants/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _live(tokens) == [False, False, False]


def test_admin_disabling_the_password_revokes_the_users_tokens(superuser_client, user, tokens):
    response = superuser_client.post(
        f"/admin/tenants/user/{user.pk}/password/",
        {"usable_password": "false", "unset-password": "Disable password-based authentication"},
    )

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert _live(tokens) == [False, False, False]


def test_admin_password_change_refused_by_the_form_keeps_the_tokens(superuser_client, user, tokens):
    response = superuser_client.post(
        f"/admin/tenants/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": "different-one"},
    )

    assert response.status_code == 200  # the form again, with its error
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert _live(tokens) == [True, True, True]


def test_admin_own_password_change_revokes_tokens_and_keeps_the_session(client, member, tenant):
    supervisor = member(Role.SUPERVISOR)
    tokens = [services.auth_token_create(user=supervisor.user) for _ in range(2)]
    client.force_login(supervisor.user)

    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    assert _live(tokens) == [False, False]
    assert client.get("/admin/").status_code == 200


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


def test_password_reset_request_is_throttled_per_client_address(settings, request_reset, user):
    _with_rates(settings, password_reset="2/min")

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
    _with_rates(settings, account_email="2/min")

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
    assert _live(tokens) == [False, False, False]
    old = anon_client.post(TOKEN_URL, {"email": user.email, "password": PASSWORD}, format="json")
    new = anon_client.post(
        TOKEN_URL, {"email": user.email, "password": NEW_PASSWORD}, format="json"
    )
    assert old.status_code == 400
    assert new.status_code == 200, new.content


def test_password_reset_confirm_verifies_the_email(request_reset, anon_client, db):
    pending = _with_password(unverified_user_recipe.make(email="pending@example.test"))
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
    _with_password(User.objects.get(pk=user.pk), "changed-elsewhere-77")

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
    assert _live(tokens) == [True, True, True]


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
    _with_rates(settings, password_reset="2/min")
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
    user = _with_password(user_recipe.make())
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
