"""crm-connections/ and crm-syncs/ through the API: shapes and per-provider defaults, refusals
that store nothing, credentials write-only (never in a response, a replay, an idempotency
record or the audit log; stored encrypted), one connection per tenant, optimistic concurrency,
the sync log and its filters, redelivery."""

import json

import pytest
from django.db import connection as db

from integrations.crm_sync import crm_client
from integrations.hubspot.client import HubSpotClient
from integrations.models import CrmConnection, CrmSync
from integrations.salesforce.client import SalesforceClient
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, IdempotencyRecord, Role
from tests.errors import field_errors
from tests.integrations.recipes import crm_connection_recipe, crm_sync_recipe

pytestmark = pytest.mark.django_db

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
NEW_TOKEN = "00Dxx0000001gPL!AQ4AQFhk.new"
SALESFORCE = "https://acme.my.salesforce.com"


@pytest.fixture
def admin(member, api_client):
    return api_client(member(Role.ADMIN))


def _url(tenant, rest=""):
    return f"/api/v1/t/{tenant.slug}/{rest}"


def _create(client, tenant, **overrides):
    body = {"provider": "hubspot", "credentials": {"access_token": TOKEN}, **overrides}
    return client.post(_url(tenant, "crm-connections/"), body, format="json")


def _connection(tenant) -> CrmConnection:
    with tenant_context(tenant):
        return CrmConnection.objects.get()


def _count(tenant, model) -> int:
    with tenant_context(tenant):
        return model.objects.count()


def _audit(tenant, action=None):
    with tenant_context(tenant):
        entries = AuditLogEntry.objects.filter(target_type__startswith="crm")
        if action:
            entries = entries.filter(action=action)
        return list(entries.order_by("id").values("action", "target_label", "before", "after"))


# --- Create -----------------------------------------------------------------------------------


def test_create_hubspot_answers_201_with_defaults_and_without_the_token(tenant, admin):
    response = _create(admin, tenant)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "provider",
        "base_url",
        "has_credentials",
        "enabled",
        "tier_property",
        "external_id_field",
        "last_sync_status",
        "last_sync_at",
        "last_sync_error",
        "version",
        "created_at",
        "updated_at",
    }
    assert (body["provider"], body["base_url"]) == ("hubspot", "https://api.hubapi.com")
    assert (body["has_credentials"], body["enabled"], body["tier_property"]) == (True, True, "")
    assert body["external_id_field"] is None
    assert (body["last_sync_status"], body["last_sync_at"], body["last_sync_error"]) == (
        "",
        None,
        "",
    )
    assert (body["version"], response["ETag"]) == (1, '"1"')
    assert response["Location"].endswith(f"/crm-connections/{body['id']}/")
    assert TOKEN not in response.content.decode()
    assert json.loads(_connection(tenant).credentials) == {"access_token": TOKEN}


def test_create_salesforce_takes_the_instance_url_and_defaults_the_external_id(tenant, admin):
    response = _create(
        admin,
        tenant,
        provider="salesforce",
        base_url=f"{SALESFORCE}/",
        tier_property="Support_Tier__c",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["base_url"], body["external_id_field"]) == (SALESFORCE, "Tenantdesk_Id__c")
    assert body["tier_property"] == "Support_Tier__c"


def test_the_connection_made_through_the_api_is_the_one_the_sync_uses(tenant, admin):
    _create(admin, tenant)
    hubspot = crm_client(_connection(tenant))
    with tenant_context(tenant):
        CrmConnection.objects.all().delete()
    _create(admin, tenant, provider="salesforce", base_url=SALESFORCE, external_id_field="Ext__c")
    salesforce = crm_client(_connection(tenant))

    assert isinstance(hubspot, HubSpotClient)
    assert hubspot.base_url == "https://api.hubapi.com"
    assert isinstance(salesforce, SalesforceClient)
    assert salesforce.base_url == SALESFORCE
    assert salesforce.external_id_field == "Ext__c"


def test_the_token_is_stored_encrypted(tenant, admin):
    _create(admin, tenant)

    with tenant_context(tenant), db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations_crmconnection")
        [(stored,)] = cursor.fetchall()

    assert TOKEN not in stored
    assert "access_token" not in stored


def test_get_never_shows_the_token(tenant, admin):
    created = _create(admin, tenant).json()

    detail = admin.get(_url(tenant, f"crm-connections/{created['id']}/"))
    listed = admin.get(_url(tenant, "crm-connections/"))

    assert detail.status_code == listed.status_code == 200
    assert detail["ETag"] == '"1"'
    assert "credentials" not in detail.json()
    assert detail.json()["has_credentials"] is True
    assert [row["id"] for row in listed.json()["results"]] == [created["id"]]
    assert TOKEN not in detail.content.decode() + listed.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"provider": "pipedrive"},
            "provider",
            '"pipedrive" is not a valid choice.',
            id="bad-provider",
        ),
        pytest.param({"credentials": None}, "credentials", None, id="credentials-null"),
        pytest.param({"credentials": TOKEN}, "credentials", None, id="credentials-not-an-object"),
        pytest.param({"credentials": {}}, "credentials", None, id="missing-token"),
        pytest.param(
            {"credentials": {"access_token": f"{TOKEN} x"}},
            "credentials",
            "access_token must be 1-4096 printable ASCII characters without spaces.",
            id="token-with-a-space",
        ),
        pytest.param(
            {"credentials": {"access_token": TOKEN, "refresh_token": TOKEN}},
            "credentials",
            None,
            id="unknown-credential",
        ),
        pytest.param(
            {"provider": "salesforce"},
            "base_url",
            "Salesforce needs the org's instance URL, e.g. https://yourorg.my.salesforce.com.",
            id="salesforce-without-base-url",
        ),
        pytest.param(
            {"base_url": "http://api.hubapi.com"},
            "base_url",
            "This destination is not allowed.",
            id="plain-http",
        ),
        pytest.param(
            {"base_url": "https://localhost"},
            "base_url",
            "This destination is not allowed.",
            id="url-guard",
        ),
        pytest.param({"base_url": "not a url"}, "base_url", "Enter a valid URL.", id="url-shape"),
        pytest.param(
            {"base_url": "https://api.hubapi.com/crm/v3?x=1"},
            "base_url",
            "The CRM's address only (https://host), without a path, query or fragment.",
            id="url-with-path",
        ),
        pytest.param(
            {"external_id_field": "Tenantdesk_Id__c"},
            "external_id_field",
            "Only Salesforce connections have an External ID field.",
            id="hubspot-external-id",
        ),
        pytest.param(
            {"provider": "salesforce", "base_url": SALESFORCE, "external_id_field": "Id/../x"},
            "external_id_field",
            "An API name: letters, digits and underscores, starting with a letter.",
            id="external-id-not-a-name",
        ),
        pytest.param(
            {"tier_property": "support tier"},
            "tier_property",
            "An API name: letters, digits and underscores, starting with a letter.",
            id="tier-property-not-a-name",
        ),
        pytest.param({"enabled": "maybe"}, "enabled", "Must be a valid boolean.", id="enabled"),
        pytest.param({"version": 7}, "version", "Unknown field.", id="read-only-field"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(tenant, admin, overrides, field, message):
    response = _create(admin, tenant, **overrides)

    errors = field_errors(response)
    assert set(errors) == {field}
    assert message is None or errors[field] == [message]
    assert TOKEN not in response.content.decode()
    assert _count(tenant, CrmConnection) == 0
    assert _audit(tenant) == []


def test_the_service_checks_the_base_url_too(tenant, admin, url_check):
    _create(admin, tenant, provider="salesforce", base_url=SALESFORCE)

    assert url_check.seen == [SALESFORCE]


def test_the_service_refuses_what_the_api_would(tenant):
    from django.core.exceptions import ValidationError

    from integrations import services

    with tenant_context(tenant), pytest.raises(ValidationError) as refused:
        services.crm_connection_create(
            tenant=tenant,
            actor=Actor(),
            provider="salesforce",
            credentials={"access_token": "a\x00b"},
            tier_property="x-y",
        )

    assert set(refused.value.message_dict) == {"credentials", "tier_property"}
    assert "a\x00b" not in str(refused.value)
    assert _count(tenant, CrmConnection) == 0


def test_a_second_connection_is_409_and_the_first_stays(tenant, admin):
    first = _create(admin, tenant)

    second = _create(
        admin, tenant, provider="salesforce", base_url=SALESFORCE, credentials={"access_token": "s"}
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "crm_connection_exists"
    assert _connection(tenant).provider == "hubspot"
    assert [e["action"] for e in _audit(tenant)] == ["crm_connection.created"]


def test_each_tenant_has_its_own_connection(tenant, other_tenant, admin):
    with tenant_context(other_tenant):
        crm_connection_recipe.make(tenant=other_tenant)

    response = _create(admin, tenant)

    assert response.status_code == 201


def test_an_idempotent_replay_and_its_record_never_hold_the_token(tenant, admin):
    headers = {"HTTP_IDEMPOTENCY_KEY": "connect-crm-1"}
    body = {"provider": "hubspot", "credentials": {"access_token": TOKEN}}

    first = admin.post(_url(tenant, "crm-connections/"), body, format="json", **headers)
    replay = admin.post(_url(tenant, "crm-connections/"), body, format="json", **headers)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert TOKEN not in replay.content.decode()
    with tenant_context(tenant):
        records = list(IdempotencyRecord.objects.values())
    assert len(records) == 1
    assert TOKEN not in json.dumps(records, default=str)
    assert _count(tenant, CrmConnection) == 1


# --- Change and delete ------------------------------------------------------------------------


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(tenant, admin):
    created = _create(admin, tenant).json()
    url = _url(tenant, f"crm-connections/{created['id']}/")
    admin.patch(url, {"tier_property": "tier"}, format="json", HTTP_IF_MATCH='"1"')

    stale = admin.patch(
        url, {"credentials": {"access_token": NEW_TOKEN}}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    connection = _connection(tenant)
    assert (connection.tier_property, connection.version) == ("tier", 2)
    assert json.loads(connection.credentials) == {"access_token": TOKEN}


def test_patch_with_credentials_replaces_them_and_never_echoes_them(tenant, admin):
    created = _create(admin, tenant).json()
    url = _url(tenant, f"crm-connections/{created['id']}/")

    response = admin.patch(
        url,
        {"credentials": {"access_token": NEW_TOKEN}, "enabled": False},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["enabled"], body["has_credentials"], body["version"]) == (False, True, 2)
    assert response["ETag"] == '"2"'
    assert NEW_TOKEN not in response.content.decode()
    assert json.loads(_connection(tenant).credentials) == {"access_token": NEW_TOKEN}


def test_a_new_address_needs_the_credentials_again(tenant, admin):
    created = _create(admin, tenant).json()
    url = _url(tenant, f"crm-connections/{created['id']}/")

    alone = admin.patch(url, {"base_url": "https://elsewhere.example.com"}, format="json")
    with_token = admin.patch(
        url,
        {"base_url": "https://eu1.hubapi.example.com", "credentials": {"access_token": NEW_TOKEN}},
        format="json",
    )

    # Otherwise the stored, write-only token would go to whatever host an admin names.
    assert alone.status_code == 400
    assert "credentials" in alone.json()["errors"]
    assert with_token.status_code == 200, with_token.content
    connection = _connection(tenant)
    assert connection.base_url == "https://eu1.hubapi.example.com"
    assert json.loads(connection.credentials) == {"access_token": NEW_TOKEN}


def test_patch_without_credentials_keeps_them(tenant, admin):
    created = _create(admin, tenant).json()

    admin.patch(
        _url(tenant, f"crm-connections/{created['id']}/"), {"enabled": False}, format="json"
    )

    assert json.loads(_connection(tenant).credentials) == {"access_token": TOKEN}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        pytest.param({"provider": "salesforce"}, "provider", "Unknown field.", id="provider-fixed"),
        pytest.param(
            {"base_url": "http://api.hubapi.com"},
            "base_url",
            "This destination is not allowed.",
            id="plain-http",
        ),
        pytest.param({"credentials": {}}, "credentials", None, id="credentials-without-token"),
        pytest.param(
            {"external_id_field": "Ext__c"},
            "external_id_field",
            "Only Salesforce connections have an External ID field.",
            id="hubspot-external-id",
        ),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(tenant, admin, change, field, message):
    created = _create(admin, tenant).json()

    response = admin.patch(_url(tenant, f"crm-connections/{created['id']}/"), change, format="json")

    errors = field_errors(response)
    assert set(errors) == {field}
    assert message is None or errors[field] == [message]
    connection = _connection(tenant)
    assert (connection.provider, connection.base_url, connection.version) == (
        "hubspot",
        "https://api.hubapi.com",
        1,
    )


def test_salesforce_external_id_field_can_change_but_not_to_blank(tenant, admin):
    created = _create(admin, tenant, provider="salesforce", base_url=SALESFORCE).json()
    url = _url(tenant, f"crm-connections/{created['id']}/")

    changed = admin.patch(url, {"external_id_field": "Helpdesk_Id__c"}, format="json")
    blank = admin.patch(url, {"external_id_field": ""}, format="json")

    assert changed.json()["external_id_field"] == "Helpdesk_Id__c"
    assert set(field_errors(blank)) == {"external_id_field"}
    assert _connection(tenant).external_id_field == "Helpdesk_Id__c"


def test_delete_removes_the_connection_with_its_sync_log(tenant, admin):
    created = _create(admin, tenant).json()
    connection = _connection(tenant)
    with tenant_context(tenant):
        crm_sync_recipe.make(tenant=tenant, connection=connection, _quantity=2)
    url = _url(tenant, f"crm-connections/{created['id']}/")

    stale = admin.delete(url, HTTP_IF_MATCH='"7"')
    deleted = admin.delete(url, HTTP_IF_MATCH='"1"')
    again = admin.get(url)

    assert (stale.status_code, deleted.status_code, again.status_code) == (412, 204, 404)
    assert _count(tenant, CrmConnection) == _count(tenant, CrmSync) == 0
    assert _create(admin, tenant).status_code == 201  # the tenant may connect again


def test_every_write_is_audited_without_the_credentials(tenant, admin):
    created = _create(admin, tenant, tier_property="tier").json()
    url = _url(tenant, f"crm-connections/{created['id']}/")
    admin.patch(
        url,
        {"credentials": {"access_token": NEW_TOKEN}, "enabled": False},
        format="json",
    )
    admin.delete(url)

    entries = _audit(tenant)

    assert [e["action"] for e in entries] == [
        "crm_connection.created",
        "crm_connection.updated",
        "crm_connection.deleted",
    ]
    assert {e["target_label"] for e in entries} == {"HubSpot https://api.hubapi.com"}
    assert entries[0]["after"] == {
        "provider": "hubspot",
        "base_url": "https://api.hubapi.com",
        "enabled": True,
        "tier_property": "tier",
        "external_id_field": "",
    }
    assert entries[1]["before"] == {"enabled": True}
    assert entries[1]["after"] == {"enabled": False, "credentials_replaced": True}
    written = json.dumps(entries)
    assert TOKEN not in written
    assert NEW_TOKEN not in written
    assert "access_token" not in written
