"""Customer sync to the tenant's CRM (an outbox table: integrations.models.CrmSync).

Customer events become sync rows in the event's transaction: created/updated → upsert the
contact, erased → delete it (by the CRM id the erasure's event carries). A worker sends each
row through the provider's client (integrations/<provider>/client.py, over the SSRF-guarded
session): 429 and 5xx are retried with backoff, honouring Retry-After; other 4xx fail at once
and stay in the sync log. After an upsert the CRM's contact id is stored on the customer, and
when the connection names a tier property, the customer's tier is read back from the CRM and
applied as a change by the integration — which is never echoed back to the CRM.
"""

import json
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone
from uuid6 import uuid7

from config.errors import NotFoundError
from integrations.crm import ContactData, CrmClient, CrmFailed, CrmRetryable, short_reason
from integrations.http import DeliveryFailed, DestinationRefused, safe_session
from integrations.hubspot.client import HubSpotClient
from integrations.models import CrmAction, CrmConnection, CrmProvider, CrmSync
from integrations.salesforce.client import SalesforceClient
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.events import Envelope
from tenants.models import Tenant
from tenants.outbox import PermanentError, Skip, TransientError, outbox_enqueue_on_commit
from tickets.models import Customer, Tier


def _connection() -> CrmConnection | None:
    return CrmConnection.objects.filter(enabled=True).first()


def _from_the_crm(envelope: Envelope) -> bool:
    # The echo guard: a change the CRM made (the tier it holds) goes no further.
    return envelope.actor.get("type") == "integration"


def crm_customer_changed(envelope: Envelope) -> None:
    """customer.created / customer.updated → an upsert row (unless the CRM made the change)."""
    connection = _connection()
    if connection is None or _from_the_crm(envelope):
        return
    customer = Customer.objects.filter(public_id=envelope.data["id"]).first()
    if customer is None or customer.erased_at is not None:
        return
    row = CrmSync.objects.create(
        tenant_id=envelope.tenant_id,
        connection=connection,
        event_id=envelope.id,
        event_type=envelope.type,
        action=CrmAction.UPSERT,
        customer_id=customer.pk,
        customer_public_id=customer.public_id,
    )
    outbox_enqueue_on_commit(row)


def crm_customer_erased(envelope: Envelope) -> None:
    """customer.erased → delete the contact from the CRM (when it had one)."""
    connection = _connection()
    crm_id = envelope.data.get("crm_id") or ""
    if connection is None or not crm_id:
        return
    customer = Customer.objects.filter(public_id=envelope.data["id"]).first()
    row = CrmSync.objects.create(
        tenant_id=envelope.tenant_id,
        connection=connection,
        event_id=envelope.id,
        event_type=envelope.type,
        action=CrmAction.DELETE,
        customer_id=customer.pk if customer is not None else 0,
        customer_public_id=envelope.data["id"],
        crm_id=crm_id,
    )
    outbox_enqueue_on_commit(row)


def crm_client(connection: CrmConnection) -> CrmClient:
    """The provider's client for `connection`, on the SSRF-guarded session."""
    try:
        token = json.loads(connection.credentials)["access_token"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PermanentError("the connection's credentials have no access_token") from exc
    common = {
        "base_url": connection.base_url,
        "access_token": token,
        "session": safe_session(),
        "retryable_errors": (DeliveryFailed,),
        "refused_errors": (DestinationRefused,),
    }
    try:
        if connection.provider == CrmProvider.HUBSPOT:
            return HubSpotClient(**common)
        return SalesforceClient(
            **common, external_id_field=connection.external_id_field or "Tenantdesk_Id__c"
        )
    except ValueError as exc:  # an unusable base URL or field name
        raise PermanentError(f"the connection is misconfigured: {exc}") from exc


@dataclass(frozen=True)
class Prepared:
    connection_id: int
    client: CrmClient
    contact: ContactData | None
    tier_property: str
    known_id: str = ""


def crm_sync_prepare(row: CrmSync) -> Prepared:
    """The client and, for an upsert, the customer as it is now (a customer erased or
    deleted meanwhile is not sent)."""
    connection = CrmConnection.objects.filter(pk=row.connection_id).first()
    if connection is None or not connection.enabled:
        raise Skip("the CRM connection is disabled")
    contact, known_id = None, ""
    if row.action == CrmAction.UPSERT:
        customer = Customer.objects.filter(pk=row.customer_id).first()
        if customer is None or customer.erased_at is not None:
            raise Skip("the customer was erased or deleted")
        contact = ContactData(
            email=customer.email,
            name=customer.name,
            company=customer.company,
            phone=customer.phone,
            tier=customer.tier,
            tenantdesk_id=str(customer.public_id),
        )
        known_id = customer.crm_id
    return Prepared(
        connection_id=connection.pk,
        client=crm_client(connection),
        contact=contact,
        tier_property=connection.tier_property,
        known_id=known_id,
    )


def _connection_status(row: CrmSync, *, status: str, error: str = "") -> None:
    CrmConnection.objects.filter(pk=row.connection_id).update(
        last_sync_status=status,
        last_sync_at=timezone.now(),
        last_sync_error=error.replace("\x00", "")[:500],
    )


def _apply_from_crm(row: CrmSync, *, crm_id: str, tier: str | None) -> None:
    """Store the contact id on the customer; apply the CRM's tier as the integration's change
    (through the service: history, SLA recomputation, events — not echoed back).

    Under the customer's lock, the one an erasure takes: a customer erased while the upsert
    was on its way gets the contact deleted again (the erasure could not know its id)."""
    from tickets.selectors import customer_get_for_update
    from tickets.services import customer_update  # the service: rules and events apply

    tenant = Tenant.objects.get(pk=row.tenant_id)
    try:
        customer = customer_get_for_update(tenant=tenant, pk=row.customer_id, no_key=True)
    except NotFoundError:
        customer = None
    if customer is None or customer.erased_at is not None:
        _delete_again(row, crm_id=crm_id)
        return
    if customer.crm_id != crm_id:
        # The representation changed (a new ETag), but no event: nothing to tell the CRM.
        Customer.objects.filter(pk=customer.pk).update(crm_id=crm_id, version=F("version") + 1)
        customer.refresh_from_db()
    if tier and tier in Tier.values and tier != customer.tier:
        customer_update(
            tenant=tenant,
            actor=Actor(integration=str(row.connection.public_id)),
            customer=customer,
            tier=tier,
        )


def _delete_again(row: CrmSync, *, crm_id: str) -> None:
    """Queue the deletion of a contact created for a customer erased meanwhile."""
    delete = CrmSync.objects.create(
        tenant_id=row.tenant_id,
        connection_id=row.connection_id,
        event_id=uuid7(),
        event_type="customer.erased",
        action=CrmAction.DELETE,
        customer_id=row.customer_id,
        customer_public_id=row.customer_public_id,
        crm_id=crm_id,
    )
    outbox_enqueue_on_commit(delete)


def crm_sync_send(row: CrmSync, prepared: Prepared) -> dict:
    """Call the CRM once; record the outcome on the connection; report it to the outbox."""
    try:
        if row.action == CrmAction.DELETE:
            prepared.client.delete_contact(row.crm_id)
            crm_id, tier = row.crm_id, None
        else:
            crm_id = prepared.client.upsert_contact(
                prepared.contact, known_id=prepared.known_id or None
            )
            tier = (
                prepared.client.read_property(crm_id, prepared.tier_property)
                if prepared.tier_property
                else None
            )
    except CrmRetryable as exc:
        with tenant_context(row.tenant_id):
            _connection_status(row, status="retrying", error=str(exc))
            CrmSync.objects.filter(pk=row.pk).update(last_status_code=exc.status)
        raise TransientError(short_reason(str(exc)), retry_after=exc.retry_after) from exc
    except CrmFailed as exc:
        with tenant_context(row.tenant_id):
            _connection_status(row, status="failed", error=str(exc))
            CrmSync.objects.filter(pk=row.pk).update(last_status_code=exc.status)
        raise PermanentError(short_reason(str(exc))) from exc
    with tenant_context(row.tenant_id):
        _connection_status(row, status="ok")
        if row.action == CrmAction.UPSERT:
            _apply_from_crm(row, crm_id=crm_id, tier=(tier or "").strip().lower() or None)
    return {"crm_id": crm_id[:100]}
