"""Recipes for the integrations app's rows. Make tenant rows inside tenant_context(tenant) and
pass tenant=…; they are written straight to the tables (no URL check, no audit): tests of the
API create endpoints through it, the cross-cutting matrices use these."""

import json
import uuid

from model_bakery.recipe import Recipe, foreign_key, seq

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.webhooks.signing import secret_generate

webhook_endpoint_recipe = Recipe(
    WebhookEndpoint,
    url=seq("https://hooks.example.com/in/"),
    event_types=lambda: ["*"],
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
