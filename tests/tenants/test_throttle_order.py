"""Quotas on tenant routes apply before the tenant is looked up: guessing tenants or sending
bad credentials cannot get round them."""

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
