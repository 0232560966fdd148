from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from tenants import services
from tenants.models import Membership, Role, Tenant, User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.recipes import membership_recipe, tenant_recipe, user_recipe

REGISTER_URL = "/api/v1/auth/register/"
TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"
TENANTS_URL = "/api/v1/t/"


@pytest.fixture
def make_user(db):
    """make_user(**fields) -> User whose password is PASSWORD."""

    def make(**fields):
        user = user_recipe.make(**fields)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        return user

    return make


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _with_throttle_rates(settings, **rates) -> None:
    # Assigning REST_FRAMEWORK sends setting_changed, which makes DRF reload api_settings.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def _register_body(**overrides) -> dict:
    return {"email": "new.person@example.test", "password": PASSWORD, "name": "New Person"} | (
        overrides
    )


# --- register ---------------------------------------------------------------------------------


def test_register_creates_an_unverified_user_and_answers_202(
    anon_client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            REGISTER_URL, _register_body(email="New.Person@Example.TEST"), format="json"
        )

    assert response.status_code == 202, response.content
    assert set(response.json()) == {"detail"}
    assert "password" not in response.content.decode()
    user = User.objects.get(email="new.person@example.test")
    assert user.name == "New Person"
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert user.email_verified_at is None


def test_register_duplicate_email_case_insensitive_answers_the_same_202(
    anon_client, make_user, django_capture_on_commit_callbacks
):
    existing = make_user(email="taken@example.test", name="Rightful Owner")
    password_before = existing.password
    fresh = anon_client.post(REGISTER_URL, _register_body(email="fresh@example.test"))

    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            REGISTER_URL, _register_body(email="TAKEN@Example.test", name="Intruder")
        )

    assert response.status_code == 202, response.content
    assert response.json() == fresh.json()
    assert User.objects.filter(email__iexact="taken@example.test").count() == 1
    existing.refresh_from_db()
    assert (existing.password, existing.name) == (password_before, "Rightful Owner")


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234", ""])
def test_register_weak_password_is_400_with_password_errors(anon_client, db, password):
    response = anon_client.post(REGISTER_URL, _register_body(password=password), format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)["password"]
    assert not User.objects.exists()


def test_register_password_similar_to_email_is_400(anon_client, db):
    response = anon_client.post(
        REGISTER_URL,
        _register_body(email="jonathan.smithers@example.test", password="jonathan.smithers"),
        format="json",
    )

    assert response.status_code == 400, response.content
    assert field_errors(response)["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("missing", ["email", "password", "name"])
def test_register_missing_field_is_400(anon_client, db, missing):
    body = _register_body()
    del body[missing]

    response = anon_client.post(REGISTER_URL, body, format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)[missing] == ["This field is required."]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "a" * 250 + "@example.test"),
        ("name", "n" * 151),
        ("password", "p" * 129),
        ("email", "not-an-email"),
    ],
)
def test_register_invalid_field_is_400(anon_client, db, field, value):
    response = anon_client.post(REGISTER_URL, _register_body(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)[field]
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["is_staff", "is_superuser", "tenant"])
def test_register_unknown_field_is_400(anon_client, db, field):
    response = anon_client.post(REGISTER_URL, _register_body(**{field: True}), format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response) == {field: ["Unknown field."]}
    assert not User.objects.exists()


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


# --- tenants: list ----------------------------------------------------------------------------


def test_tenant_list_shows_my_tenants_with_role(member, api_client, tenant, other_tenant):
    mine = member(Role.SUPERVISOR)
    membership_recipe.make(user=mine.user, tenant=other_tenant, role=Role.OWNER)
    member(Role.OWNER, tenant=tenant_recipe.make(slug="charlie"))  # someone else's tenant

    response = api_client(mine).get(TENANTS_URL)

    assert response.status_code == 200, response.content
    assert [(t["slug"], t["role"]) for t in response.json()] == [
        ("alpha", "supervisor"),
        ("bravo", "owner"),
    ]
    assert response.json()[0]["name"] == "Alpha Co"


def test_tenant_list_hides_inactive_memberships_and_tenants(member, api_client, tenant):
    mine = member(Role.AGENT)
    membership_recipe.make(
        user=mine.user, tenant=tenant_recipe.make(slug="left-co"), is_active=False
    )
    membership_recipe.make(
        user=mine.user, tenant=tenant_recipe.make(slug="dead-co", is_active=False)
    )

    response = api_client(mine).get(TENANTS_URL)

    assert response.status_code == 200, response.content
    assert [t["slug"] for t in response.json()] == ["alpha"]


def test_tenant_list_with_api_key_shows_its_tenant(api_key_client, tenant, other_tenant):
    client, _ = api_key_client(tenant, Role.SUPERVISOR)

    response = client.get(TENANTS_URL)

    assert response.status_code == 200, response.content
    assert [(t["slug"], t["role"]) for t in response.json()] == [("alpha", "supervisor")]


def test_tenant_list_without_credentials_is_401(anon_client, db):
    response = anon_client.get(TENANTS_URL)

    assert response.status_code == 401, response.content


# --- tenants: create --------------------------------------------------------------------------


def test_tenant_create_makes_creator_owner(make_user, api_client):
    user = make_user()

    response = api_client(user).post(
        TENANTS_URL,
        {
            "slug": "new-co",
            "name": "New Co",
            "timezone": "Europe/Berlin",
            "settings": {"unassigned_escalation_hours": 24},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "new-co"
    assert body["timezone"] == "Europe/Berlin"
    assert body["settings"]["unassigned_escalation_hours"] == 24
    tenant = Tenant.objects.get(slug="new-co")
    membership = Membership.objects.get(tenant=tenant)
    assert (membership.user, membership.role, membership.is_active) == (user, Role.OWNER, True)
    assert api_client(user).get(f"/api/v1/t/{tenant.slug}/").status_code == 200


def test_tenant_create_defaults_timezone_to_utc(make_user, api_client):
    user = make_user()

    response = api_client(user).post(
        TENANTS_URL, {"slug": "utc-co", "name": "UTC Co"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["timezone"] == "UTC"


@pytest.mark.parametrize(
    "slug",
    [
        pytest.param("admin", id="reserved-admin"),
        pytest.param("api", id="reserved-api"),
        pytest.param("Bad_Slug", id="uppercase-underscore"),
        pytest.param("has space", id="space"),
        pytest.param("ümlaut", id="non-ascii"),
        pytest.param("-leading", id="leading-hyphen"),
        pytest.param("trailing-", id="trailing-hyphen"),
        pytest.param("ab", id="too-short"),
        pytest.param("x" * 51, id="too-long"),
    ],
)
def test_tenant_create_bad_slug_is_400(make_user, api_client, db, slug):
    user = make_user()

    response = api_client(user).post(TENANTS_URL, {"slug": slug, "name": "X"}, format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)["slug"]
    assert not Tenant.objects.exists()
    assert not Membership.objects.exists()


def test_tenant_create_duplicate_slug_is_400(make_user, api_client, tenant):
    user = make_user()

    response = api_client(user).post(TENANTS_URL, {"slug": "alpha", "name": "X"}, format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)["slug"] == ["This slug is already taken."]
    assert Tenant.objects.get(slug="alpha").name == "Alpha Co"
    assert not Membership.objects.filter(user=user).exists()


def test_tenant_create_slug_of_deleted_tenant_is_400(make_user, api_client, db):
    tenant_recipe.make(slug="gone-co", is_active=False)
    user = make_user()

    response = api_client(user).post(TENANTS_URL, {"slug": "gone-co", "name": "X"}, format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)["slug"]


def test_tenant_create_invalid_timezone_is_400(make_user, api_client, db):
    user = make_user()

    response = api_client(user).post(
        TENANTS_URL, {"slug": "new-co", "name": "X", "timezone": "Mars/Olympus"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert field_errors(response)["timezone"]
    assert not Tenant.objects.exists()


def test_tenant_create_unknown_settings_key_is_400(make_user, api_client, db):
    user = make_user()

    response = api_client(user).post(
        TENANTS_URL,
        {"slug": "new-co", "name": "X", "settings": {"bogus": 1}},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert field_errors(response) == {"settings": {"bogus": ["Unknown field."]}}
    assert not Tenant.objects.exists()


def test_tenant_create_invalid_settings_value_is_400(make_user, api_client, db):
    user = make_user()

    response = api_client(user).post(
        TENANTS_URL,
        {"slug": "new-co", "name": "X", "settings": {"assignment_strategy": "random"}},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert field_errors(response)["settings"]["assignment_strategy"]
    assert not Tenant.objects.exists()


def test_tenant_create_unknown_field_is_400(make_user, api_client, db):
    user = make_user()

    response = api_client(user).post(
        TENANTS_URL, {"slug": "new-co", "name": "X", "is_active": False}, format="json"
    )

    assert response.status_code == 400, response.content
    assert field_errors(response) == {"is_active": ["Unknown field."]}
    assert not Tenant.objects.exists()


def test_tenant_create_with_api_key_is_403(api_key_client, tenant):
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = client.post(TENANTS_URL, {"slug": "new-co", "name": "X"}, format="json")

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_a_user"
    assert not Tenant.objects.filter(slug="new-co").exists()


def test_tenant_create_without_credentials_is_401(anon_client, db):
    response = anon_client.post(TENANTS_URL, {"slug": "new-co", "name": "X"}, format="json")

    assert response.status_code == 401, response.content
    assert not Tenant.objects.exists()


# --- throttling -------------------------------------------------------------------------------


def test_login_successes_do_not_use_up_the_address_quota(settings, anon_client, make_user):
    _with_throttle_rates(settings, login="2/min")
    make_user(email="login@example.test")
    body = {"email": "login@example.test", "password": PASSWORD}

    statuses = [anon_client.post(TOKEN_URL, body, format="json").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]


def test_login_third_failure_in_a_minute_is_429_even_with_the_right_password(
    settings, anon_client, make_user
):
    _with_throttle_rates(settings, login="2/min")
    make_user(email="login@example.test")
    wrong = {"email": "login@example.test", "password": "wrong-password"}

    statuses = [anon_client.post(TOKEN_URL, wrong, format="json").status_code for _ in range(2)]
    response = anon_client.post(
        TOKEN_URL, {"email": "login@example.test", "password": PASSWORD}, format="json"
    )

    assert statuses == [400, 400]
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_login_throttle_is_per_client_address(settings, anon_client, make_user):
    _with_throttle_rates(settings, login="2/min")
    make_user(email="login@example.test")
    body = {"email": "login@example.test", "password": PASSWORD}
    wrong = {"email": "login@example.test", "password": "wrong-password"}
    for _ in range(2):
        anon_client.post(TOKEN_URL, wrong, format="json", REMOTE_ADDR="10.0.0.1")

    blocked = anon_client.post(TOKEN_URL, body, format="json", REMOTE_ADDR="10.0.0.1")
    other = anon_client.post(TOKEN_URL, body, format="json", REMOTE_ADDR="10.0.0.2")

    assert blocked.status_code == 429
    assert other.status_code == 200, other.content


def test_login_throttle_is_per_account_across_addresses(settings, anon_client, make_user):
    _with_throttle_rates(settings, login_account="2/min")
    make_user(email="target@example.test")
    make_user(email="other@example.test")
    wrong = {"email": "TARGET@example.test", "password": "guess"}
    for i in range(2):
        anon_client.post(TOKEN_URL, wrong, format="json", REMOTE_ADDR=f"10.0.1.{i}")

    blocked = anon_client.post(
        TOKEN_URL,
        {"email": "target@example.test", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.1.9",
    )
    other = anon_client.post(
        TOKEN_URL,
        {"email": "other@example.test", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.1.9",
    )

    assert blocked.status_code == 429
    assert other.status_code == 200, other.content


def test_register_throttle_third_attempt_is_429(settings, anon_client, db):
    _with_throttle_rates(settings, register="2/min")
    statuses = [
        anon_client.post(REGISTER_URL, _register_body(email=f"u{i}@example.test")).status_code
        for i in range(2)
    ]

    response = anon_client.post(REGISTER_URL, _register_body(email="u3@example.test"))

    assert statuses == [202, 202]
    assert response.status_code == 429, response.content
    assert "Retry-After" in response
    assert User.objects.count() == 2


def test_me_user_rate_third_call_is_429(settings, make_user):
    _with_throttle_rates(settings, user="2/min")
    user = make_user()
    _, token = services.auth_token_create(user=user)
    _, second_token = services.auth_token_create(user=user)
    client = _bearer(token)

    statuses = [client.get(ME_URL).status_code for _ in range(2)]
    # The quota belongs to the user, not to one token.
    response = _bearer(second_token).get(ME_URL)

    assert statuses == [200, 200]
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 60


def test_me_user_rate_is_per_user(settings, make_user):
    _with_throttle_rates(settings, user="2/min")
    busy = _bearer(services.auth_token_create(user=make_user())[1])
    idle = _bearer(services.auth_token_create(user=make_user())[1])
    for _ in range(2):
        busy.get(ME_URL)

    assert busy.get(ME_URL).status_code == 429
    assert idle.get(ME_URL).status_code == 200


def test_tenant_rate_is_shared_by_members_of_the_tenant(
    settings, member, api_client, tenant, other_tenant
):
    _with_throttle_rates(settings, tenant="2/min")
    first = api_client(member(Role.OWNER))
    second = api_client(member(Role.VIEWER))
    outsider = api_client(member(Role.VIEWER, tenant=other_tenant))
    url = f"/api/v1/t/{tenant.slug}/"

    statuses = [first.get(url).status_code, first.get(url).status_code]
    response = second.get(url)
    other_tenant_response = outsider.get(f"/api/v1/t/{other_tenant.slug}/")

    assert statuses == [200, 200]
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 60
    assert other_tenant_response.status_code == 200, other_tenant_response.content


def test_api_key_rate_is_per_key(settings, api_key_client, tenant):
    _with_throttle_rates(settings, api_key="2/min")
    busy, _ = api_key_client(tenant, Role.ADMIN)
    idle, _ = api_key_client(tenant, Role.VIEWER)

    statuses = [busy.get(TENANTS_URL).status_code for _ in range(2)]
    response = busy.get(TENANTS_URL)

    assert statuses == [200, 200]
    assert response.status_code == 429, response.content
    assert "Retry-After" in response
    assert idle.get(TENANTS_URL).status_code == 200


def test_api_keys_of_other_tenants_do_not_share_the_user_rate(
    settings, api_key_client, tenant, other_tenant
):
    _with_throttle_rates(settings, user="2/min")
    busy, _ = api_key_client(tenant, Role.ADMIN)
    elsewhere, _ = api_key_client(other_tenant, Role.ADMIN)

    statuses = [busy.get(TENANTS_URL).status_code for _ in range(3)]
    response = elsewhere.get(TENANTS_URL)

    assert statuses == [200, 200, 200]
    assert response.status_code == 200, response.content
