"""A user's own tenants (/api/v1/t/): the list with their role (active memberships of active
tenants only; an API key sees its tenant), and creating one, which makes the creator its owner
(bad slugs, time zones, settings and unknown fields are a 400; API keys may not create)."""

import pytest

from tenants.models import Membership, Role, Tenant
from tests.errors import field_errors
from tests.tenants.recipes import membership_recipe, tenant_recipe

TENANTS_URL = "/api/v1/t/"


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
