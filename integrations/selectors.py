"""Reads of the integrations app: webhook endpoints and the delivery log, the CRM connection
and its sync log."""

from django.db.models import Prefetch, QuerySet

from integrations.models import (
    CrmConnection,
    CrmSync,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tenants.models import Tenant


def webhook_endpoint_list(*, tenant: Tenant) -> QuerySet[WebhookEndpoint]:
    """Return the tenant's webhook endpoints."""
    return WebhookEndpoint.objects.filter(tenant=tenant)


def webhook_delivery_list(*, tenant: Tenant) -> QuerySet[WebhookDelivery]:
    """Return the tenant's webhook deliveries with their endpoint and their attempts (in
    order), in three queries whatever the page size."""
    attempts = WebhookAttempt.objects.filter(tenant=tenant).order_by("number", "id")
    return (
        WebhookDelivery.objects.filter(tenant=tenant)
        .select_related("endpoint")
        .defer("endpoint__secret", "endpoint__previous_secret")  # no decryption per row
        .prefetch_related(Prefetch("attempt_log", queryset=attempts))
    )


def webhook_delivery_list_for_endpoint(
    *, tenant: Tenant, endpoint: WebhookEndpoint
) -> QuerySet[WebhookDelivery]:
    """Return one endpoint's deliveries (as webhook_delivery_list)."""
    return webhook_delivery_list(tenant=tenant).filter(endpoint=endpoint)


def crm_connection_list(*, tenant: Tenant) -> QuerySet[CrmConnection]:
    """Return the tenant's CRM connection (there is at most one)."""
    return CrmConnection.objects.filter(tenant=tenant)


def crm_sync_list(*, tenant: Tenant) -> QuerySet[CrmSync]:
    """Return the tenant's CRM sync log (one query per page: rows name the customer by id)."""
    return CrmSync.objects.filter(tenant=tenant)


def crm_sync_list_for_connection(*, tenant: Tenant, connection: CrmConnection) -> QuerySet[CrmSync]:
    """Return one connection's sync log."""
    return crm_sync_list(tenant=tenant).filter(connection=connection)
