"""The customer API: CRUD, per-tenant case-insensitive emails, filters, ETag/If-Match, delete."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tenants.helpers import audit_log_rows
from tests.tickets.recipes import customer_recipe
from tickets import services
from tickets.models import Customer


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


@pytest.fixture
def url(tenant):
    return f"/api/v1/t/{tenant.slug}/customers/"


def _customer(tenant, **fields) -> Customer:
    with tenant_context(tenant):
        return customer_recipe.make(tenant=tenant, **fields)


def _rows(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return sorted(
            Customer.objects.values_list("email", "name", "tier", "company", "version", "metadata")
        )


# --- CRUD -------------------------------------------------------------------------------------


def test_create_stores_a_lowercased_email_and_every_field(tenant, client, url):
    response = client.post(
        url,
        {
            "email": "Ada@Example.TEST",
            "name": "Ada",
            "tier": "enterprise",
            "company": "Engines Ltd",
            "phone": "+44 20 7946 0000",
            "crm_id": "hs-42",
            "metadata": {"seats": 40},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ada@example.test"
    assert {k: body[k] for k in ("name", "tier", "company", "phone", "crm_id", "metadata")} == {
        "name": "Ada",
        "tier": "enterprise",
        "company": "Engines Ltd",
        "phone": "+44 20 7946 0000",
        "crm_id": "hs-42",
        "metadata": {"seats": 40},
    }
    assert (body["version"], body["erased"]) == (1, False)
    assert response["ETag"] == '"1"'
    assert _rows(tenant) == [
        ("ada@example.test", "Ada", "enterprise", "Engines Ltd", 1, {"seats": 40})
    ]


def test_create_defaults_to_the_free_tier(client, url):
    response = client.post(url, {"email": "bo@example.test"}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["tier"], response.json()["name"]) == ("free", "")


def test_create_without_email_is_400(tenant, client, url):
    response = client.post(url, {"name": "Nobody"}, format="json")

    assert response.status_code == 400
    assert "email" in field_errors(response)
    assert _rows(tenant) == []


def test_list_and_retrieve(tenant, client, url):
    first = _customer(tenant, email="one@example.test")
    _customer(tenant, email="two@example.test")

    listed = client.get(url)
    detail = client.get(f"{url}{first.public_id}/")

    assert listed.status_code == 200
    assert [c["email"] for c in listed.json()["results"]] == [
        "two@example.test",
        "one@example.test",
    ]
    assert detail.status_code == 200
    assert detail.json()["id"] == str(first.public_id)
    assert detail["ETag"] == '"1"'


@pytest.mark.parametrize(
    "lookup",
    [
        pytest.param("00000000-0000-4000-8000-000000000000", id="unknown"),
        pytest.param("-" * 36, id="hyphens"),
        pytest.param("a" * 36, id="not-a-uuid"),
    ],
)
def test_retrieve_a_missing_or_malformed_id_is_404(client, url, lookup):
    response = client.get(f"{url}{lookup}/")

    assert response.status_code == 404


def test_another_tenants_customer_is_404(other_tenant, client, url):
    theirs = _customer(other_tenant)

    response = client.get(f"{url}{theirs.public_id}/")

    assert response.status_code == 404


def test_patch_changes_fields_and_bumps_the_version(tenant, client, url):
    customer = _customer(tenant, email="ada@example.test", tier="free")

    response = client.patch(
        f"{url}{customer.public_id}/", {"tier": "premium", "company": "X"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["tier"], response.json()["company"]) == ("premium", "X")
    assert response["ETag"] == '"2"'


def test_noop_patch_keeps_the_version(tenant, client, url):
    customer = _customer(tenant, email="ada@example.test", tier="basic")
    before = _rows(tenant)

    response = client.patch(
        f"{url}{customer.public_id}/", {"tier": "basic", "email": "ADA@example.test"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response["ETag"] == '"1"'
    assert _rows(tenant) == before


# --- Email uniqueness -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("ada@example.test", id="same"),
        pytest.param("ADA@Example.Test", id="other-case"),
        pytest.param(" ada@example.test ", id="padded"),
    ],
)
def test_create_with_a_taken_email_is_400(tenant, client, url, email):
    _customer(tenant, email="ada@example.test")
    before = _rows(tenant)

    response = client.post(url, {"email": email}, format="json")

    assert response.status_code == 400
    assert "email" in field_errors(response)
    assert _rows(tenant) == before


def test_same_email_in_another_tenant_is_fine(tenant, other_tenant, client, url):
    _customer(other_tenant, email="ada@example.test")

    response = client.post(url, {"email": "Ada@example.test"}, format="json")

    assert response.status_code == 201, response.content
    assert [row[0] for row in _rows(tenant)] == ["ada@example.test"]
    assert [row[0] for row in _rows(other_tenant)] == ["ada@example.test"]


def test_patch_to_a_taken_email_is_400(tenant, client, url):
    _customer(tenant, email="ada@example.test")
    bo = _customer(tenant, email="bo@example.test")
    before = _rows(tenant)

    response = client.patch(f"{url}{bo.public_id}/", {"email": "ADA@example.test"}, format="json")

    assert response.status_code == 400
    assert "email" in field_errors(response)
    assert _rows(tenant) == before


def test_patch_to_another_tenants_email_is_fine(tenant, other_tenant, client, url):
    _customer(other_tenant, email="ada@example.test")
    bo = _customer(tenant, email="bo@example.test")

    response = client.patch(f"{url}{bo.public_id}/", {"email": "ada@example.test"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "ada@example.test"


# --- Filters and search -----------------------------------------------------------------------


@pytest.fixture
def people(tenant, other_tenant):
    _customer(tenant, email="ada@engines.test", name="Ada L", tier="enterprise", company="Engines")
    _customer(tenant, email="bo@example.test", name="Bo Diddley", tier="free", company="Chess")
    _customer(tenant, email="cy@example.test", name="Cy Young", tier="premium", company="engines")
    _customer(other_tenant, email="ada2@engines.test", name="Ada", tier="enterprise", company="X")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("tier=enterprise", {"ada"}, id="tier"),
        pytest.param("tier=free&tier=premium", {"bo", "cy"}, id="tier-several"),
        pytest.param("tier=basic", set(), id="tier-none"),
        pytest.param("company=engines", {"ada", "cy"}, id="company-any-case"),
        pytest.param("company=Eng", set(), id="company-exact-only"),
        pytest.param("email=BO@example.test", {"bo"}, id="email-any-case"),
        pytest.param("email=bo@", set(), id="email-exact-only"),
        pytest.param("search=ada l", {"ada"}, id="search-name"),
        pytest.param("search=example.test", {"bo", "cy"}, id="search-email"),
        pytest.param("search=ada", {"ada"}, id="search-stays-in-tenant"),
        pytest.param("search=nobody", set(), id="search-no-match"),
        pytest.param("", {"ada", "bo", "cy"}, id="no-filter"),
    ],
)
def test_customer_filters(people, client, url, query, expected):
    response = client.get(f"{url}?{query}")

    assert response.status_code == 200, response.content
    assert {c["email"].split("@")[0] for c in response.json()["results"]} == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param("tier=gold", "tier", id="tier-unknown"),
        pytest.param("search=" + "x" * 201, "search", id="search-too-long"),
        pytest.param("email=" + "x" * 255, "email", id="email-too-long"),
    ],
)
def test_bad_customer_filter_is_400(people, client, url, query, field):
    response = client.get(f"{url}?{query}")

    assert response.status_code == 400
    assert field in field_errors(response)


# --- ETag / If-Match --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("if_match", "expected"),
    [
        pytest.param('"1"', 200, id="current"),
        pytest.param("*", 200, id="any"),
        pytest.param('"2"', 412, id="stale"),
        pytest.param("yesterday", 412, id="malformed"),
        pytest.param('"3", "1"', 200, id="list-with-current"),
        pytest.param('"2", "3"', 412, id="list-without-current"),
    ],
)
def test_if_match_guards_customer_patch(tenant, client, url, if_match, expected):
    customer = _customer(tenant, email="ada@example.test", name="Ada")

    response = client.patch(
        f"{url}{customer.public_id}/", {"name": "Ada L."}, format="json", HTTP_IF_MATCH=if_match
    )

    assert response.status_code == expected, response.content
    assert _rows(tenant)[0][1] == ("Ada L." if expected == 200 else "Ada")


# --- Delete -----------------------------------------------------------------------------------


def test_delete_a_customer_without_tickets_is_204_and_audited(tenant, member, api_client, url):
    admin = member(Role.ADMIN)
    customer = _customer(tenant, email="ada@example.test")

    response = api_client(admin).delete(f"{url}{customer.public_id}/")

    assert response.status_code == 204
    assert _rows(tenant) == []
    assert audit_log_rows(tenant, "customer.deleted", fields=("target_id", "actor_label")) == [
        {"target_id": str(customer.public_id), "actor_label": admin.user.email}
    ]


@pytest.mark.parametrize(
    ("if_match", "expected"),
    [
        pytest.param('"2"', 412, id="stale"),
        pytest.param('"2", "1"', 204, id="list-with-current"),
        pytest.param('"1"', 204, id="current"),
    ],
)
def test_if_match_guards_customer_delete(tenant, member, api_client, url, if_match, expected):
    customer = _customer(tenant, email="ada@example.test")

    response = api_client(member(Role.ADMIN)).delete(
        f"{url}{customer.public_id}/", HTTP_IF_MATCH=if_match
    )

    assert response.status_code == expected, response.content
    assert len(_rows(tenant)) == (0 if expected == 204 else 1)


def test_delete_a_customer_with_tickets_is_409(tenant, member, api_client, url):
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Hi", customer_email="ada@example.test"
        )
    before = _rows(tenant)

    response = api_client(member(Role.ADMIN)).delete(f"{url}{ticket.requester.public_id}/")

    assert response.status_code == 409
    assert response.json()["code"] == "customer_has_tickets"
    assert _rows(tenant) == before
    assert audit_log_rows(tenant, "customer.deleted", fields=("target_id",)) == []


def test_agent_cannot_delete_a_customer(tenant, client, url):
    customer = _customer(tenant, email="ada@example.test")

    response = client.delete(f"{url}{customer.public_id}/")

    assert response.status_code == 403
    assert len(_rows(tenant)) == 1
