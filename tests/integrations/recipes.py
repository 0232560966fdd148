"""Recipes for the integrations app's rows. Make tenant rows inside tenant_context(tenant) and
pass tenant=…; they are written straight to the tables (no URL check, no audit): tests of the
API create endpoints through it, the cross-cutting matrices use these."""

import json
import uuid

from model_bakery.recipe import Recipe, foreign_key, seq

from integrations.models import (
    CrmConnection,
    CrmSync,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.webhooks.signing import secret_generate
from tenants.context import current_tenant_id

webhook_endpoint_recipe = Recipe(
    WebhookEndpoint,
    url=seq("https://hooks.example.com/in/"),
    events=lambda: ["*"],
    description="Receiver",
    secret=secret_generate,
)
webhook_delivery_recipe = Recipe(
    WebhookDelivery,
    endpoint=foreign_key(webhook_endpoint_recipe),
    event_id=uuid.uuid4,
    event_type="ticket.created",
    body=json.dumps({"type": "ticket.created", "timestamp": "2026-01-01T00:00:00Z", "data": {}}),
)
webhook_attempt_recipe = Recipe(
    WebhookAttempt,
    delivery=foreign_key(webhook_delivery_recipe),
    number=seq(0),
    status_code=500,
    latency_ms=120,
    error="",
    response_body="upstream error",
)
crm_connection_recipe = Recipe(
    CrmConnection,
    provider="hubspot",
    base_url="https://api.hubapi.com",
    credentials=lambda: json.dumps({"access_token": "pat-test"}),
)
crm_sync_recipe = Recipe(
    CrmSync,
    # The tenant's one connection (made when it has none yet).
    connection=lambda: (
        CrmConnection.objects.first() or crm_connection_recipe.make(tenant_id=current_tenant_id())
    ),
    event_id=uuid.uuid4,
    event_type="customer.created",
    action="upsert",
    customer_id=seq(1),
    customer_public_id=uuid.uuid4,
)
