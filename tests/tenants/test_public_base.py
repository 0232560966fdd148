"""The public tenant base (tenants.api.base.PublicTenantAPIView): no credentials, the tenant
from the URL, the same transaction and tenant context as member routes, read-only unless the
view says otherwise, and its own quota. Tested through the probe views of
tests/tenants/public_urls.py."""

import pytest
from rest_framework.test import APIClient

from tenants.access import Actor
from tenants.api.base import PublicTenantAPIView
from tenants.context import tenant_context
from tenants.models import AuditLogEntry
from tenants.services import tenant_delete
from tests.tenants.recipes import audit_entry_recipe

pytestmark = pytest.mark.urls("tests.tenants.public_urls")

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def _probe(tenant):
    return f"/help/{tenant.slug}/probe/"


def _actions(tenant) -> list[str]:
    with tenant_context(tenant):
        return sorted(AuditLogEntry.objects.values_list("action", flat=True))


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


def test_works_without_credentials(tenant):
    response = APIClient().get(_probe(tenant))

    assert response.status_code == 200, response.content
    assert response.json()["tenant"] == tenant.slug
    assert response.json()["authenticated"] is False


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token-0123456789abcdef", "Api-Key nope", "Basic Zm9vOmJhcg==", "garbage"],
    ids=["bad-bearer", "bad-api-key", "basic", "garbage"],
)
def test_an_authorization_header_is_ignored_whatever_it_holds(tenant, authorization):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.get(_probe(tenant))

    assert response.status_code == 200, response.content
    assert response.json()["authenticated"] is False


def test_a_members_valid_token_does_not_sign_in_either(tenant, member, api_client):
    response = api_client(member("owner")).get(_probe(tenant))

    assert response.status_code == 200, response.content
    assert response.json()["authenticated"] is False


def test_unknown_tenant_is_the_standard_404(db):
    response = APIClient().get("/help/no-such-tenant/probe/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_deactivated_tenant_is_the_standard_404(tenant):
    tenant_delete(tenant=tenant, actor=Actor())

    response = APIClient().get(_probe(tenant))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_the_request_runs_in_the_tenants_context_and_sees_only_its_rows(tenant, other_tenant):
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, action="ours")
    with tenant_context(other_tenant):
        audit_entry_recipe.make(tenant=other_tenant, action="theirs")

    body = APIClient().get(_probe(tenant)).json()

    assert body["tenant_setting"] == str(tenant.pk)
    assert body["actions"] == ["ours"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_write_methods_are_405_and_write_nothing(tenant, method):
    response = getattr(APIClient(), method)(_probe(tenant), {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert set(response.json()) == {"detail", "code"}
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert _actions(tenant) == []


def test_a_write_the_view_allows_is_kept_inside_the_tenant(tenant):
    response = APIClient().post(f"/help/{tenant.slug}/writable/", {}, format="json")

    assert response.status_code == 201, response.content
    assert _actions(tenant) == ["probe.written"]


def test_a_failed_write_is_rolled_back(tenant):
    response = APIClient().post(f"/help/{tenant.slug}/writable/", {"fail": True}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"fail": ["Asked to fail after writing."]}
    assert _actions(tenant) == []


def test_head_and_options_answer_without_a_body_error(tenant):
    client = APIClient()

    assert client.head(_probe(tenant)).status_code == 200
    assert client.options(_probe(tenant)).status_code == 200


def test_throttled_per_address_per_tenant_with_the_standard_body(low_rates, tenant, other_tenant):
    low_rates(public="2/min")
    client = APIClient()

    first = [client.get(_probe(tenant)).status_code for _ in range(2)]
    third = client.get(_probe(tenant))
    elsewhere = client.get(_probe(other_tenant))
    other_address = APIClient(REMOTE_ADDR="10.9.8.7").get(_probe(tenant))

    assert first == [200, 200]
    assert third.status_code == 429
    assert set(third.json()) == {"detail", "code"}
    assert third.json()["code"] == "throttled"
    assert "Retry-After" in third
    assert (elsewhere.status_code, other_address.status_code) == (200, 200)


def test_the_anonymous_quota_counts_404s_on_unknown_tenants(low_rates, tenant):
    low_rates(anon="2/min")
    client = APIClient()

    misses = [client.get(f"/help/guess-{i}/probe/").status_code for i in range(2)]
    known = client.get(_probe(tenant))

    assert misses == [404, 404]
    assert known.status_code == 429


@pytest.mark.parametrize(
    "name", ["dispatch", "initial", "get_authenticators", "get_throttles", "check_permissions"]
)
def test_public_views_cannot_override_what_makes_them_safe(name):
    with pytest.raises(TypeError, match=name):
        type("_Loose", (PublicTenantAPIView,), {name: lambda self, *a, **k: None})


@pytest.mark.parametrize(
    "attribute", ["authentication_classes", "permission_classes", "throttle_classes"]
)
def test_public_views_cannot_swap_authentication_permissions_or_throttles(attribute):
    with pytest.raises(TypeError, match=attribute):
        type("_Loose", (PublicTenantAPIView,), {attribute: []})
