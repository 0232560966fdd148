"""Password change, logout everywhere, and token revocation on every path a password can change
by (API, Django admin, changepassword, a shell); the reset path is in test_api_password_reset.py."""

import itertools
from io import StringIO

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from tenants import services
from tenants.models import Role, User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import bearer_client, tokens_alive, with_password, with_throttle_rates
from tests.tenants.recipes import user_recipe

ME_URL = "/api/v1/auth/me/"
TOKEN_URL = "/api/v1/auth/token/"
PASSWORD_URL = "/api/v1/auth/password/"
LOGOUT_ALL_URL = "/api/v1/auth/logout-all/"
NEW_PASSWORD = "quiet-lantern-harbour-82"


@pytest.fixture
def user(db):
    return with_password(user_recipe.make(email="pat@example.test", name="Pat"))


@pytest.fixture
def tokens(user):
    """Three live bearer tokens of `user`, as (AuthToken, raw token) pairs."""
    return [services.auth_token_create(user=user) for _ in range(3)]


# --- POST auth/password/ -----------------------------------------------------------------------


def test_password_change_keeps_the_calling_token_and_revokes_the_others(user, tokens):
    (_, caller), *_ = tokens

    response = bearer_client(caller).post(
        PASSWORD_URL,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204, response.content
    assert tokens_alive(tokens) == [True, False, False]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)


def test_password_change_with_a_wrong_current_password_is_400_and_changes_nothing(user, tokens):
    (_, caller), *_ = tokens
    before = user.password

    response = bearer_client(caller).post(
        PASSWORD_URL,
        {"current_password": "not-my-password", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert field_errors(response) == {"current_password": ["The current password is not correct."]}
    user.refresh_from_db()
    assert user.password == before
    assert tokens_alive(tokens) == [True, True, True]


@pytest.mark.parametrize("new_password", ["short", "password123", "12345678901234", "pat@example"])
def test_password_change_to_a_weak_password_is_400_on_new_password(user, tokens, new_password):
    (_, caller), *_ = tokens
    before = user.password

    response = bearer_client(caller).post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": new_password}, format="json"
    )

    assert list(field_errors(response)) == ["new_password"]
    user.refresh_from_db()
    assert user.password == before
    assert tokens_alive(tokens) == [True, True, True]


@pytest.mark.parametrize("missing", ["current_password", "new_password"])
def test_password_change_missing_field_is_400(user, tokens, missing):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    del body[missing]

    response = bearer_client(tokens[0][1]).post(PASSWORD_URL, body, format="json")

    assert field_errors(response) == {missing: ["This field is required."]}
    assert tokens_alive(tokens) == [True, True, True]


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
    with_throttle_rates(settings, login_account="2/min")
    client = bearer_client(tokens[0][1])
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
    with_throttle_rates(settings, login_account="2/min")
    client = bearer_client(tokens[0][1])
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

    response = bearer_client(tokens[0][1]).post(LOGOUT_ALL_URL)

    assert response.status_code == 204, response.content
    assert tokens_alive(tokens) == [False, False, False]
    assert not AuthToken.objects.filter(user=user).exists()
    assert bearer_client(other_raw).get(ME_URL).status_code == 200


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

    assert tokens_alive(tokens) == [False, False, False]


def test_making_the_password_unusable_revokes_every_token(user, tokens):
    user.set_unusable_password()
    user.save(update_fields=["password"])

    assert tokens_alive(tokens) == [False, False, False]


def test_saving_other_fields_keeps_the_tokens(user, tokens):
    user.name = "Renamed"
    user.save()
    User.objects.get(pk=user.pk).save(update_fields=["name"])

    assert tokens_alive(tokens) == [True, True, True]


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
    assert tokens_alive(tokens) == [True, True, True]


def test_changepassword_command_revokes_every_token(user, tokens, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", user.email, stdout=StringIO())

    assert tokens_alive(tokens) == [False, False, False]
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
    assert tokens_alive(tokens) == [False, False, False]


def test_admin_disabling_the_password_revokes_the_users_tokens(superuser_client, user, tokens):
    response = superuser_client.post(
        f"/admin/tenants/user/{user.pk}/password/",
        {"usable_password": "false", "unset-password": "Disable password-based authentication"},
    )

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert tokens_alive(tokens) == [False, False, False]


def test_admin_password_change_refused_by_the_form_keeps_the_tokens(superuser_client, user, tokens):
    response = superuser_client.post(
        f"/admin/tenants/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": "different-one"},
    )

    assert response.status_code == 200  # the form again, with its error
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert tokens_alive(tokens) == [True, True, True]


def test_admin_own_password_change_revokes_tokens_and_keeps_the_session(client, member, tenant):
    supervisor = member(Role.SUPERVISOR)
    tokens = [services.auth_token_create(user=supervisor.user) for _ in range(2)]
    client.force_login(supervisor.user)

    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    assert tokens_alive(tokens) == [False, False]
    assert client.get("/admin/").status_code == 200
