"""Bearer tokens: logging in for one (POST auth/token/), reading who it belongs to (GET auth/me/:
memberships, expired, garbage and API-key credentials) and logging out (POST auth/logout/ revokes
only that token)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from tenants import services
from tenants.models import Role, User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import bearer_client as _bearer
from tests.tenants.recipes import membership_recipe, tenant_recipe

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


# --- token ------------------------------------------------------------------------------------


def test_token_login_returns_token_and_expiry(anon_client, make_user):
    user = make_user(email="login@example.test")

    response = anon_client.post(
        TOKEN_URL, {"email": "LOGIN@example.test", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    expires_at = parse_datetime(body["expires_at"])
    assert timezone.now() + timedelta(days=6) < expires_at <= timezone.now() + timedelta(days=7)
    assert AuthToken.objects.filter(user=user).count() == 1
    assert _bearer(body["token"]).get(ME_URL).json()["email"] == "login@example.test"


def test_token_bad_password_is_400(anon_client, make_user):
    user = make_user(email="login@example.test")

    response = anon_client.post(
        TOKEN_URL, {"email": "login@example.test", "password": "wrong-password"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_login"
    assert "token" not in response.json()
    assert not AuthToken.objects.filter(user=user).exists()


def test_token_unknown_email_is_400(anon_client, db):
    response = anon_client.post(
        TOKEN_URL, {"email": "nobody@example.test", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_login"


def test_token_inactive_user_is_400(anon_client, make_user):
    user = make_user(email="gone@example.test", is_active=False)

    response = anon_client.post(
        TOKEN_URL, {"email": "gone@example.test", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_login"
    assert not AuthToken.objects.filter(user=user).exists()


def test_token_missing_password_is_400(anon_client, make_user):
    make_user(email="login@example.test")

    response = anon_client.post(TOKEN_URL, {"email": "login@example.test"}, format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)["password"] == ["This field is required."]


# --- me / bearer tokens -------------------------------------------------------------------------


def test_me_lists_active_memberships_with_tenant_and_role(make_user, tenant, other_tenant):
    user = make_user(email="me@example.test", name="Me Myself")
    membership_recipe.make(user=user, tenant=tenant, role=Role.ADMIN)
    membership_recipe.make(user=user, tenant=other_tenant, role=Role.VIEWER, is_senior=True)
    _, token = services.auth_token_create(user=user)

    response = _bearer(token).get(ME_URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email"] == "me@example.test"
    assert body["name"] == "Me Myself"
    assert body["id"] == str(user.public_id)
    assert body["memberships"] == [
        {"tenant": {"slug": "alpha", "name": "Alpha Co"}, "role": "admin", "is_senior": False},
        {"tenant": {"slug": "bravo", "name": "Bravo Co"}, "role": "viewer", "is_senior": True},
    ]


def test_me_excludes_inactive_memberships_and_inactive_tenants(make_user, tenant):
    user = make_user()
    membership_recipe.make(user=user, tenant=tenant, role=Role.AGENT)
    membership_recipe.make(
        user=user, tenant=tenant_recipe.make(slug="left-co"), role=Role.ADMIN, is_active=False
    )
    membership_recipe.make(
        user=user, tenant=tenant_recipe.make(slug="dead-co", is_active=False), role=Role.OWNER
    )
    _, token = services.auth_token_create(user=user)

    response = _bearer(token).get(ME_URL)

    assert response.status_code == 200, response.content
    assert [m["tenant"]["slug"] for m in response.json()["memberships"]] == ["alpha"]


def test_me_without_credentials_is_401(anon_client, db):
    response = anon_client.get(ME_URL)

    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Bearer"


def test_me_with_expired_token_is_401(make_user):
    user = make_user()
    instance, token = services.auth_token_create(user=user)
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    response = _bearer(token).get(ME_URL)

    assert response.status_code == 401, response.content
    assert response.json()["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_authenticating_does_not_touch_the_users_other_tokens(make_user):
    user = make_user()
    _, token = services.auth_token_create(user=user)
    stale, _ = services.auth_token_create(user=user)
    AuthToken.objects.filter(pk=stale.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    response = _bearer(token).get(ME_URL)

    # Expired siblings are left to the purge task: one token query per request.
    assert response.status_code == 200
    assert AuthToken.objects.filter(pk=stale.pk).exists()


def test_me_with_garbage_token_is_401_with_www_authenticate(db):
    response = _bearer("not-a-real-token-0123456789abcdef").get(ME_URL)

    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "authentication_failed"


def test_me_with_token_of_inactive_user_is_401(make_user):
    user = make_user()
    _, token = services.auth_token_create(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = _bearer(token).get(ME_URL)

    assert response.status_code == 401, response.content


def test_me_with_api_key_is_403_not_a_user(api_key_client, tenant):
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = client.get(ME_URL)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_a_user"


def test_me_with_unknown_api_key_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key tdk_000000000000_nope")

    response = client.get(ME_URL)

    assert response.status_code == 401, response.content


# --- logout -----------------------------------------------------------------------------------


def test_logout_revokes_only_that_token(make_user):
    user = make_user()
    _, token = services.auth_token_create(user=user)
    _, other_token = services.auth_token_create(user=user)
    client = _bearer(token)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 204, response.content
    assert client.get(ME_URL).status_code == 401
    assert client.post(LOGOUT_URL).status_code == 401
    assert _bearer(other_token).get(ME_URL).status_code == 200
    assert AuthToken.objects.filter(user=user).count() == 1


def test_logout_without_token_is_401(anon_client, db):
    response = anon_client.post(LOGOUT_URL)

    assert response.status_code == 401, response.content


def test_logout_with_api_key_is_401(api_key_client, tenant):
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 401, response.content


def test_a_token_is_told_from_another_with_its_key_by_its_digest(make_user):
    # The token's first characters are its key (the indexed lookup); the rest is checked
    # against the stored digest. Two tokens sharing a key: each finds its own user only.
    first, second = make_user(), make_user()
    one, token = services.auth_token_create(user=first)
    other, other_token = services.auth_token_create(user=second)
    AuthToken.objects.filter(pk=other.pk).update(token_key=one.token_key)
    forged = token[: len(one.token_key)] + "0" * (len(token) - len(one.token_key))

    mine, theirs, neither = (_bearer(t).get(ME_URL) for t in (token, other_token, forged))

    assert mine.json()["email"] == first.email
    assert theirs.status_code == 401  # its key no longer leads to it
    assert neither.status_code == 401
