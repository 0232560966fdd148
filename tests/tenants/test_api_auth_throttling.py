"""Rate limits on the account and tenant routes: failed logins per address and per account,
registrations per address, and the per-user, per-tenant and per-API-key request rates."""

from tenants import services
from tenants.models import Role, User
from tests.conftest import PASSWORD
from tests.tenants.helpers import bearer_client as _bearer
from tests.tenants.helpers import register_body as _register_body
from tests.tenants.helpers import with_throttle_rates as _with_throttle_rates

REGISTER_URL = "/api/v1/auth/register/"
TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/auth/me/"
TENANTS_URL = "/api/v1/t/"


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
