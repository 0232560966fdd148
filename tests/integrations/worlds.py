"""Integrations objects the cross-cutting tests (matrices, contract) need in a tenant."""

from types import SimpleNamespace

from tenants.context import tenant_context
from tests.integrations.recipes import (
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
