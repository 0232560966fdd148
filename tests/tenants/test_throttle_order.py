"""Quotas on tenant routes count every request, 401s and 404s included: guessing tenants or
sending bad credentials cannot get round them. A member's request counts its quotas (the
caller's and the tenant's) in one round trip to Redis."""

import uuid

import pytest
from rest_framework.test import APIClient

from tenants.models import Role


@pytest.fixture
def low_rates(settings):
    def apply(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }

    return apply


def test_user_quota_counts_404s_on_unknown_tenants(low_rates, member, api_client, tenant):
    low_rates(user="2/min")
    client = api_client(member(Role.OWNER))

    misses = [client.get(f"/api/v1/t/guess-{i}/").status_code for i in range(2)]
    own = client.get(f"/api/v1/t/{tenant.slug}/")

    assert misses == [404, 404]
    assert own.status_code == 429
    assert "Retry-After" in own


def test_anonymous_quota_counts_401s(low_rates, tenant):
    low_rates(anon="2/min")
    client = APIClient()

    first = [client.get(f"/api/v1/t/{tenant.slug}/").status_code for _ in range(2)]
    third = client.get(f"/api/v1/t/{tenant.slug}/")

    assert first == [401, 401]
    assert third.status_code == 429


def test_bad_credentials_count_against_the_anonymous_quota(low_rates, tenant):
    low_rates(anon="2/min")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token-0123456789abcdef")

    first = [client.get(f"/api/v1/t/{tenant.slug}/").status_code for _ in range(2)]
    third = client.get(f"/api/v1/t/{tenant.slug}/")

    assert first == [401, 401]
    assert third.status_code == 429


def test_tenant_quota_is_not_spent_by_other_tenants_traffic(
    low_rates, member, api_client, tenant, other_tenant
):
    low_rates(tenant="2/min")
    other = api_client(member(Role.OWNER, tenant=other_tenant))
    mine = api_client(member(Role.OWNER))

    spent = [other.get(f"/api/v1/t/{other_tenant.slug}/").status_code for _ in range(3)]
    own = mine.get(f"/api/v1/t/{tenant.slug}/")

    assert spent == [200, 200, 429]
    assert own.status_code == 200


def _redis_round_trips(monkeypatch):
    from redis.connection import Connection

    sent = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counting)
    return sent


@pytest.fixture
def redis_cache(settings):
    """The deployed cache (Redis) instead of the suite's in-memory one, keys of this test only."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


def test_a_members_quotas_cost_one_round_trip(redis_cache, monkeypatch, member, api_client, tenant):
    client = api_client(member(Role.AGENT))
    assert client.get(f"/api/v1/t/{tenant.slug}/").status_code == 200  # loads the script
    sent = _redis_round_trips(monkeypatch)

    response = client.get(f"/api/v1/t/{tenant.slug}/")

    assert response.status_code == 200
    assert len(sent) == 1


def test_the_combined_count_still_refuses_each_quota(low_rates, member, api_client, tenant):
    low_rates(tenant="3/min")
    clients = [api_client(member(Role.AGENT)) for _ in range(2)]

    codes = [clients[i % 2].get(f"/api/v1/t/{tenant.slug}/").status_code for i in range(4)]

    assert codes == [200, 200, 200, 429]  # the tenant's quota, summed over both members


@pytest.mark.parametrize("backend", ["redis", "locmem"])
def test_one_by_one_and_together_count_the_same_window(request, backend):
    from config.api.throttling import hit, hit_many

    if backend == "redis":
        request.getfixturevalue("redis_cache")
    first = hit("t-shared", limit=2, duration=60)
    together = hit_many([("t-shared", 2, 60), ("t-other", 5, 60)])
    after = hit("t-shared", limit=2, duration=60)

    assert first[0] is True
    assert [allowed for allowed, _ in together] == [True, True]
    assert after[0] is False  # the third hit on t-shared, whichever path counted it
    assert all(0 < wait <= 60 for _, wait in together)


@pytest.mark.parametrize("backend", ["redis", "locmem"])
def test_a_member_over_its_own_quota_does_not_use_up_the_tenants(
    request, backend, low_rates, member, api_client, tenant
):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    low_rates(user="2/min", tenant="5/min")
    noisy, quiet = api_client(member(Role.AGENT)), api_client(member(Role.AGENT))
    url = f"/api/v1/t/{tenant.slug}/"

    noisy_codes = [noisy.get(url).status_code for _ in range(6)]
    quiet_codes = [quiet.get(url).status_code for _ in range(3)]

    assert noisy_codes == [200, 200, 429, 429, 429, 429]
    # The tenant counted the 2 served requests only: 3 more fit in its 5.
    assert quiet_codes == [200, 200, 429]  # the quiet member's own 2/min, not the tenant's
