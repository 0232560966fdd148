"""Customer sync to the CRM through the outbox (integrations.crm_sync), the CRM mocked with
`responses` at its real endpoints: upserts on create and update, the contact id stored, the
tier read back and applied without an echo, deletes on erasure, retries on 429/5xx honouring
Retry-After, other 4xx failing at once, nothing sent for an erased customer."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
import time_machine

from integrations.models import CrmConnection, CrmSync
from integrations.tasks import crm_sync_task
from tenants.access import Actor
from tenants.context import tenant_context
from tests.events import published
from tickets import services
from tickets.models import Customer

pytestmark = pytest.mark.django_db

HUBSPOT = "https://api.hubapi.com"
CONTACTS = f"{HUBSPOT}/crm/v3/objects/contacts"
SALESFORCE = "https://acme.my.salesforce.com"
TOKEN = "pat-na1-secret-token"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def crm():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _connect(tenant, **fields) -> CrmConnection:
    fields = {
        "provider": "hubspot",
        "base_url": HUBSPOT,
        "credentials": json.dumps({"access_token": TOKEN}),
        **fields,
    }
    with tenant_context(tenant):
        return CrmConnection.objects.create(tenant=tenant, **fields)


def _customer(tenant, **fields) -> Customer:
    fields = {"email": "ann@example.test", "name": "Ann Lee", "company": "Initech", **fields}
    with tenant_context(tenant):
        return services.customer_create(tenant=tenant, actor=Actor(), **fields)


def _rows(tenant) -> list[CrmSync]:
    with tenant_context(tenant):
        return list(CrmSync.objects.order_by("pk"))


def _send(row) -> str | None:
    return crm_sync_task(tenant_id=row.tenant_id, row_id=row.pk)


def _stored(tenant, model, pk):
    with tenant_context(tenant):
        return model.objects.get(pk=pk)


def _hubspot_new_contact(crm, contact_id="501"):
    crm.post(f"{CONTACTS}/search", json={"total": 0, "results": []})
    crm.post(CONTACTS, status=201, json={"id": contact_id, "properties": {}})


def test_a_new_customer_is_created_in_the_crm_and_gets_its_contact_id(tenant, crm):
    _connect(tenant)
    _hubspot_new_contact(crm)
    customer = _customer(tenant)
    [row] = _rows(tenant)

    assert (row.action, row.event_type) == ("upsert", "customer.created")
    assert _send(row) == "sent"

    search, create = crm.calls
    assert search.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(create.request.body)["properties"]["email"] == "ann@example.test"
    assert json.loads(create.request.body)["properties"]["company"] == "Initech"
    stored = _stored(tenant, Customer, customer.pk)
    assert (stored.crm_id, stored.version) == ("501", customer.version + 1)
    assert _stored(tenant, CrmSync, row.pk).crm_id == "501"
    with tenant_context(tenant):
        connection = CrmConnection.objects.get()
    assert (connection.last_sync_status, connection.last_sync_error) == ("ok", "")


def test_an_update_patches_the_contact_the_crm_already_has(tenant, crm):
    _connect(tenant)
    customer = _customer(tenant)
    with tenant_context(tenant):
        services.customer_update(tenant=tenant, actor=Actor(), customer=customer, phone="+4930")
    crm.post(f"{CONTACTS}/search", json={"total": 1, "results": [{"id": "77"}]})
    patch = crm.patch(f"{CONTACTS}/77", json={"id": "77"})
    _created, updated = _rows(tenant)

    assert updated.event_type == "customer.updated"
    assert _send(updated) == "sent"

    assert patch.call_count == 1
    body = json.loads(crm.calls[-1].request.body)
    assert body["properties"]["phone"] == "+4930"
    assert _stored(tenant, Customer, customer.pk).crm_id == "77"


def test_the_tier_is_read_back_from_the_crm_and_not_echoed(tenant, crm):
    _connect(tenant, tier_property="support_tier")
    _hubspot_new_contact(crm)
    crm.get(f"{CONTACTS}/501", json={"id": "501", "properties": {"support_tier": "Enterprise"}})
    customer = _customer(tenant)
    [row] = _rows(tenant)

    with published("customer.updated") as updated:
        _send(row)

    assert _stored(tenant, Customer, customer.pk).tier == "enterprise"
    [event] = updated
    assert event.actor["type"] == "integration"
    assert event.data["changed"] == ["tier"]
    # The CRM's own change makes no new sync row: nothing goes back to the CRM.
    assert len(_rows(tenant)) == 1


def test_an_unknown_tier_from_the_crm_changes_nothing(tenant, crm):
    _connect(tenant, tier_property="support_tier")
    _hubspot_new_contact(crm)
    crm.get(f"{CONTACTS}/501", json={"id": "501", "properties": {"support_tier": "platinum"}})
    customer = _customer(tenant)
    [row] = _rows(tenant)

    assert _send(row) == "sent"

    assert _stored(tenant, Customer, customer.pk).tier == "free"


def test_an_erasure_deletes_the_contact_by_the_id_it_had(tenant, crm):
    _connect(tenant)
    customer = _customer(tenant)
    with tenant_context(tenant):
        Customer.objects.filter(pk=customer.pk).update(crm_id="501")
        services.customer_erase(tenant=tenant, actor=Actor(), customer=customer)
    delete = crm.delete(f"{CONTACTS}/501", status=204)
    rows = _rows(tenant)
    erase_row = rows[-1]

    assert (erase_row.action, erase_row.crm_id) == ("delete", "501")
    assert _send(erase_row) == "sent"
    assert delete.call_count == 1
    # The upsert written before the erasure sends nothing: the customer is gone.
    assert _send(rows[0]) == "suppressed"
    assert len(crm.calls) == 1


def test_429_is_retried_after_what_the_crm_asked(tenant, crm):
    _connect(tenant)
    crm.post(f"{CONTACTS}/search", status=429, headers={"Retry-After": "120"}, json={})
    _customer(tenant)
    [row] = _rows(tenant)

    with time_machine.travel(T0, tick=False):
        assert _send(row) == "pending"

    stored = _stored(tenant, CrmSync, row.pk)
    assert stored.next_attempt_at >= T0 + timedelta(seconds=120)
    assert stored.last_status_code == 429
    with tenant_context(tenant):
        assert CrmConnection.objects.get().last_sync_status == "retrying"


def test_a_server_error_is_retried(tenant, crm):
    _connect(tenant)
    crm.post(f"{CONTACTS}/search", status=503, body="<html>down</html>")
    _customer(tenant)
    [row] = _rows(tenant)

    assert _send(row) == "pending"
    assert _stored(tenant, CrmSync, row.pk).attempts == 1


def test_a_client_error_fails_at_once_with_a_short_reason_and_no_token(tenant, crm):
    _connect(tenant)
    crm.post(
        f"{CONTACTS}/search",
        status=401,
        json={"status": "error", "message": f"Authentication credentials not found {TOKEN}"},
    )
    _customer(tenant)
    [row] = _rows(tenant)

    assert _send(row) == "failed"

    stored = _stored(tenant, CrmSync, row.pk)
    assert "401" in stored.last_error
    assert TOKEN not in stored.last_error
    with tenant_context(tenant):
        connection = CrmConnection.objects.get()
    assert connection.last_sync_status == "failed"
    assert TOKEN not in connection.last_sync_error


def test_salesforce_upserts_by_the_external_id(tenant, crm):
    _connect(tenant, provider="salesforce", base_url=SALESFORCE)
    customer = _customer(tenant)
    upsert = crm.patch(
        f"{SALESFORCE}/services/data/v60.0/sobjects/Contact/Tenantdesk_Id__c/{customer.public_id}",
        status=201,
        json={"id": "003xx0001", "success": True, "errors": [], "created": True},
    )
    [row] = _rows(tenant)

    assert _send(row) == "sent"

    assert upsert.call_count == 1
    body = json.loads(crm.calls[0].request.body)
    assert (body["Email"], body["LastName"]) == ("ann@example.test", "Lee")
    assert _stored(tenant, Customer, customer.pk).crm_id == "003xx0001"


def test_without_an_enabled_connection_nothing_is_queued(tenant):
    _connect(tenant, enabled=False)
    _customer(tenant)

    assert _rows(tenant) == []


def test_another_tenants_connection_never_gets_this_tenants_customers(tenant, other_tenant):
    _connect(other_tenant)
    _customer(tenant)

    assert _rows(tenant) == []
    assert _rows(other_tenant) == []


def test_a_disabled_connection_suppresses_what_was_queued(tenant, crm):
    connection = _connect(tenant)
    _customer(tenant)
    with tenant_context(tenant):
        CrmConnection.objects.filter(pk=connection.pk).update(enabled=False)
    [row] = _rows(tenant)

    assert _send(row) == "suppressed"
    assert len(crm.calls) == 0


def test_a_customer_erased_while_the_upsert_was_on_its_way_is_deleted_again(tenant, crm):
    _connect(tenant)
    customer = _customer(tenant)
    [row] = _rows(tenant)

    def erase_then_create(request):
        # The erasure commits while the CRM creates the contact: it cannot know the new id.
        with tenant_context(tenant):
            services.customer_erase(tenant=tenant, actor=Actor(), customer=customer)
        return (201, {}, json.dumps({"id": "501"}))

    crm.post(f"{CONTACTS}/search", json={"total": 0, "results": []})
    crm.add_callback("POST", CONTACTS, callback=erase_then_create)

    assert _send(row) == "sent"

    erased = _stored(tenant, Customer, customer.pk)
    assert (erased.erased_at is not None, erased.crm_id) == (True, "")
    [delete] = [r for r in _rows(tenant) if r.action == "delete"]
    assert (delete.crm_id, delete.status) == ("501", "pending")
    crm.delete(f"{CONTACTS}/501", status=204)
    assert _send(delete) == "sent"


def test_a_crm_message_with_a_nul_byte_is_stored_without_it(tenant, crm):
    _connect(tenant)
    crm.post(f"{CONTACTS}/search", status=400, json={"message": "bad\u0000input"})
    _customer(tenant)
    [row] = _rows(tenant)

    assert _send(row) == "failed"

    stored = _stored(tenant, CrmSync, row.pk)
    assert "\x00" not in stored.last_error
    assert "badinput" in stored.last_error


def test_an_email_change_updates_the_contact_it_synced_before(tenant, crm):
    _connect(tenant)
    customer = _customer(tenant)
    with tenant_context(tenant):
        Customer.objects.filter(pk=customer.pk).update(crm_id="77")
        customer.refresh_from_db()
        services.customer_update(
            tenant=tenant, actor=Actor(), customer=customer, email="ann.new@example.test"
        )
    search = crm.post(f"{CONTACTS}/search", json={"total": 0, "results": []})
    patch = crm.patch(f"{CONTACTS}/77", json={"id": "77"})
    updated = _rows(tenant)[-1]

    assert _send(updated) == "sent"

    # By its id: a search by the new address would have created a second contact.
    assert (patch.call_count, search.call_count) == (1, 0)
    assert json.loads(patch.calls[0].request.body)["properties"]["email"] == "ann.new@example.test"


def test_a_contact_deleted_in_the_crm_is_found_again_by_email(tenant, crm):
    _connect(tenant)
    customer = _customer(tenant)
    with tenant_context(tenant):
        Customer.objects.filter(pk=customer.pk).update(crm_id="77")
        customer.refresh_from_db()
        services.customer_update(tenant=tenant, actor=Actor(), customer=customer, phone="+49")
    crm.patch(f"{CONTACTS}/77", status=404, json={"message": "not found"})
    _hubspot_new_contact(crm, contact_id="88")
    updated = _rows(tenant)[-1]

    assert _send(updated) == "sent"

    assert _stored(tenant, Customer, customer.pk).crm_id == "88"
