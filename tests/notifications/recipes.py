"""Recipes for notifications rows. Make tenant rows inside tenant_context(tenant) and pass
tenant=…; message ids and event ids are unique per row."""

import uuid

from model_bakery.recipe import Recipe, seq

from notifications.models import (
    AccountEmail,
    EmailDelivery,
    EmailSuppression,
    InboundEmail,
    InboundSecret,
    Notification,
    NotificationPreference,
)

email_delivery_recipe = Recipe(
    EmailDelivery,
    event_id=uuid.uuid4,
    event_type="ticket.created",
    kind="member_added",
    recipient=seq("someone", suffix="@example.test"),
    message_id=seq("<m", suffix="@tenantdesk.test>"),
    context=dict,
)
account_email_recipe = Recipe(
    AccountEmail, event_id=uuid.uuid4, kind="password_reset", recipient="nobody@example.test"
)
suppression_recipe = Recipe(
    EmailSuppression, email=seq("bounced", suffix="@example.test"), reason="bounce"
)
notification_recipe = Recipe(
    Notification,
    event_id=uuid.uuid4,
    event_type="ticket.assigned",
    kind="assigned_to_you",
    title=seq("Ticket #"),
    data=dict,
)
preference_recipe = Recipe(
    NotificationPreference, kind="assigned_to_you", channel="email", enabled=False
)
inbound_email_recipe = Recipe(
    InboundEmail, message_id=seq("<inbound", suffix="@mail.example.test>"), source="raw"
)
inbound_secret_recipe = Recipe(InboundSecret, secret_hash="0" * 64)
