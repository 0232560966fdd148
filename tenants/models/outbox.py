"""The outbox row: one side effect to perform (an email, a webhook call, a CRM upsert),
written in the same transaction as the change that caused it and delivered after the commit.

Abstract: each consumer app declares its own table (notifications' email deliveries, the
integrations' webhook deliveries) with the fields its delivery needs, on top of these.
`tenants.outbox` claims, delivers, retries and sweeps any of them the same way.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.models.base import TenantModel


class OutboxStatus(models.TextChoices):
    PENDING = "pending"  # waiting for its first attempt, or for the next one (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    FAILED = "failed"  # refused for good (a recipient refusal, a 4xx): not retried
    DEAD = "dead"  # transient failures until the attempts ran out
    SUPPRESSED = "suppressed"  # skipped on purpose (a suppressed recipient, nothing to send)


FINAL_STATUSES = (
    OutboxStatus.SENT,
    OutboxStatus.FAILED,
    OutboxStatus.DEAD,
    OutboxStatus.SUPPRESSED,
)


class OutboxRow(models.Model):
    """The delivery state every outbox table shares (tenant or platform)."""

    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Retry policy, per table. `outbox_schedule` (seconds after the previous attempt, one entry
    # per retry) wins over the exponential backoff when a table sets it.
    outbox_max_attempts: int = 6
    outbox_backoff_base: float = 30.0
    outbox_backoff_max: float = 3600.0
    outbox_schedule: tuple[float, ...] | None = None
    # Finished rows are deleted this many days after they finished (the delivery log's depth).
    outbox_retention_days: int = 90

    class Meta:
        abstract = True

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def outbox_indexes(prefix: str) -> list[models.Index]:
    """The two partial indexes the sweeper reads: due rows, expired leases (per tenant)."""
    return [
        models.Index(
            fields=["tenant", "next_attempt_at"],
            condition=Q(status=OutboxStatus.PENDING),
            name=f"{prefix}_due_idx",
        ),
        models.Index(
            fields=["tenant", "lease_until"],
            condition=Q(status=OutboxStatus.SENDING),
            name=f"{prefix}_lease_idx",
        ),
    ]


class TenantOutboxRow(OutboxRow, TenantModel):
    """An outbox row a tenant owns: RLS, the fail-closed manager, delivered in its context.
    A concrete table declares `Meta(TenantOutboxRow.Meta)` with `outbox_indexes(...)`."""

    class Meta(TenantModel.Meta):
        abstract = True
