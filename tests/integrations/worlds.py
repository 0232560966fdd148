"""Integrations objects the cross-cutting tests (matrices, contract) need in a tenant."""

from types import SimpleNamespace

from tenants.context import tenant_context
from tests.integrations.recipes import (
    crm_connection_recipe,
    crm_sync_recipe,
    webhook_attempt_recipe,
    webhook_delivery_recipe,
    webhook_endpoint_recipe,
)


def webhook_with_dead_delivery(tenant) -> SimpleNamespace:
    """An active endpoint taking every event, and a dead delivery to it with two attempts;
    returns SimpleNamespace(webhook, webhook_delivery)."""
    with tenant_context(tenant):
        webhook = webhook_endpoint_recipe.make(tenant=tenant)
        delivery = webhook_delivery_recipe.make(
            tenant=tenant, endpoint=webhook, status="dead", attempts=2
        )
        for number in (1, 2):
            webhook_attempt_recipe.make(tenant=tenant, delivery=delivery, number=number)
    return SimpleNamespace(webhook=webhook, webhook_delivery=delivery)


def crm_connection_with_dead_sync(tenant) -> SimpleNamespace:
    """The tenant's HubSpot connection and a dead upsert of it; returns
    SimpleNamespace(crm_connection, crm_sync)."""
    with tenant_context(tenant):
        connection = crm_connection_recipe.make(tenant=tenant)
        sync = crm_sync_recipe.make(tenant=tenant, connection=connection, status="dead", attempts=8)
    return SimpleNamespace(crm_connection=connection, crm_sync=sync)
