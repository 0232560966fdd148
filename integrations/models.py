"""Webhook endpoints, their deliveries (an outbox table) and each delivery's attempts."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from tenants.crypto import EncryptedTextField
from tenants.db import CompositeTenantFK
from tenants.models import TenantModel
from tenants.models.outbox import TenantOutboxRow, outbox_indexes

# Standard Webhooks' retry schedule: after the first attempt, 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 14 h, 20 h, 24 h (about three days in all), each with jitter (tenants.outbox).
WEBHOOK_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


class DisabledReason(models.TextChoices):
    NONE = "", "active or switched off by a person"
    GONE = "gone", "the receiver answered 410 Gone"
    FAILING = "failing", "deliveries failed for too long"


class WebhookEndpoint(TenantModel):
    """A receiver of the tenant's events, signed per Standard Webhooks with its own secret."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Event type names, or ["*"] for every tenant event.
    events = ArrayField(models.CharField(max_length=64), default=list)
    active = models.BooleanField(default=True)
    include_internal = models.BooleanField(default=False)
    secret = EncryptedTextField()
    # During a rotation the old secret signs too, until it expires.
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(
        max_length=16, choices=DisabledReason.choices, blank=True, default=""
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    # The first failure since the last success (auto-disable counts from here).
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="integ_endpoint_created_idx"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantOutboxRow):
    """One event to one endpoint: the exact body signed and sent on every attempt (the
    `webhook-id` is the event's envelope id, stable across retries)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="deliveries",
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    body = models.TextField()  # the JSON payload, byte for byte as signed and sent
    ticket_number = models.BigIntegerField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    outbox_task = "integrations.tasks.webhook_delivery_send_task"
    outbox_schedule = WEBHOOK_SCHEDULE
    outbox_max_attempts = len(WEBHOOK_SCHEDULE) + 1

    class Meta(TenantOutboxRow.Meta):
        constraints = [
            *TenantOutboxRow.Meta.constraints,
            CompositeTenantFK(name="integ_delivery_endpoint_tfk", field="endpoint"),
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "event_id"], name="integ_delivery_dedupe_uniq"
            ),
        ]
        indexes = [
            *outbox_indexes("integ_delivery"),
            models.Index(fields=["tenant", "endpoint", "-created_at"], name="integ_delivery_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(TenantModel):
    """One try of a delivery: when, the answer (status, a capped part of the body), how long."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="attempt_log",
    )
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_body = models.TextField(blank=True)  # at most RESPONSE_LOG_CAP characters

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            CompositeTenantFK(name="integ_attempt_delivery_tfk", field="delivery"),
        ]
        indexes = [
            models.Index(fields=["tenant", "delivery", "number"], name="integ_attempt_idx"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


# --- CRM sync ---------------------------------------------------------------------------------


class CrmProvider(models.TextChoices):
    HUBSPOT = "hubspot", "HubSpot"
    SALESFORCE = "salesforce", "Salesforce"


class CrmConnection(TenantModel):
    """The tenant's CRM: customers are upserted there (and deleted on erasure), optionally the
    customer's tier is read back from a CRM property. One per tenant."""

    provider = models.CharField(max_length=16, choices=CrmProvider.choices)
    base_url = models.URLField(max_length=500)
    # JSON text, e.g. {"access_token": "..."}; never shown again after it is written.
    credentials = EncryptedTextField()
    enabled = models.BooleanField(default=True)
    # The CRM property (HubSpot) or Contact field (Salesforce) holding the customer's tier;
    # blank: the tier is not read from the CRM.
    tier_property = models.CharField(max_length=100, blank=True)
    # Salesforce: the Contact's External ID field that holds our customer id.
    external_id_field = models.CharField(max_length=100, blank=True, default="Tenantdesk_Id__c")
    last_sync_status = models.CharField(max_length=16, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="integ_crm_one_per_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({self.base_url})"


class CrmAction(models.TextChoices):
    UPSERT = "upsert"
    DELETE = "delete"


class CrmSync(TenantOutboxRow):
    """One customer change to send to the CRM (the sync log): upsert the contact, or delete it
    after an erasure. The customer is named by ids only (an erased customer's data is gone;
    the delete carries the CRM id captured by the erasure's event)."""

    connection = models.ForeignKey(
        CrmConnection,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="syncs",
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    action = models.CharField(max_length=16, choices=CrmAction.choices)
    customer_id = models.BigIntegerField()  # no constraint: the customer may be gone
    customer_public_id = models.UUIDField()
    crm_id = models.CharField(max_length=100, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    outbox_task = "integrations.tasks.crm_sync_task"
    outbox_max_attempts = 8
    outbox_backoff_base = 30.0
    outbox_backoff_max = 3600.0

    class Meta(TenantOutboxRow.Meta):
        constraints = [
            *TenantOutboxRow.Meta.constraints,
            CompositeTenantFK(name="integ_crmsync_connection_tfk", field="connection"),
            models.UniqueConstraint(
                fields=["tenant", "connection", "event_id"], name="integ_crmsync_dedupe_uniq"
            ),
        ]
        indexes = [
            *outbox_indexes("integ_crmsync"),
            models.Index(fields=["tenant", "connection", "-created_at"], name="integ_crmsync_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.customer_public_id} ({self.status})"
