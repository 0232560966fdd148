"""Tenant-owned records of the core: the audit log and stored idempotent responses."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from tenants.models.accounts import User
from tenants.models.base import TenantModel, historical_reference
from tenants.models.tenants import ApiKey


class AuditLogEntry(TenantModel):
    """Append-only record of a security-relevant change (membership, role, keys, settings)."""

    # The audit table is append-only, so no ON DELETE may rewrite it; actor_label keeps the
    # readable name.
    actor_user = historical_reference(User)
    actor_api_key = historical_reference(ApiKey)
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=254, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = TenantModel.Meta.constraints
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="tenants_audit_time_idx"),
            models.Index(fields=["tenant", "action"], name="tenants_audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class IdempotencyRecord(TenantModel):
    """The stored outcome of a POST sent with an Idempotency-Key (kept 24 h by default).

    Written in the same transaction as the effects of the request, so a key is recorded
    exactly when its effects committed; a retry then replays the stored response.
    """

    principal = models.CharField(max_length=64)  # "user:<uuid>" or "api-key:<uuid>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "principal", "key"], name="tenants_idempotency_key_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "expires_at"], name="tenants_idempotency_exp_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
