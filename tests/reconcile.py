"""The reconciliation a fault test runs once the system has drained (research/reliability.md
§6.3): nothing committed was lost on the way to its email.

- I2 persisted ⇒ scheduled: every committed ticket whose requester is not erased has its
  `ticket_received` email row (an anti-join, per tenant: row-level security shows one tenant's
  rows at a time);
- I3 scheduled ⇒ terminal: after draining, no email row (tenant or platform) is still pending
  or sending.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from notifications.models import AccountEmail, EmailDelivery, EmailKind
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.models.outbox import FINAL_STATUSES
from tickets.models import Ticket


@dataclass
class Reconciliation:
    tickets_without_email: list[tuple[str, int]] = field(default_factory=list)  # (slug, number)
    unfinished: list[tuple[str, int, str]] = field(default_factory=list)  # (table, pk, status)

    @property
    def ok(self) -> bool:
        return not self.tickets_without_email and not self.unfinished


def reconcile() -> Reconciliation:
    """Check I2 and I3 over every tenant and the platform's account emails."""
    found = Reconciliation()
    for tenant in Tenant.objects.order_by("pk"):
        with tenant_context(tenant):
            receipt = EmailDelivery.objects.filter(
                ticket_number=OuterRef("number"), kind=EmailKind.TICKET_RECEIVED
            )
            missing = (
                Ticket.objects.filter(requester__erased_at__isnull=True)
                .exclude(Exists(receipt))
                .order_by("number")
                .values_list("number", flat=True)
            )
            found.tickets_without_email += [(tenant.slug, number) for number in missing]
            found.unfinished += _unfinished(EmailDelivery)
    found.unfinished += _unfinished(AccountEmail)
    return found


def _unfinished(model) -> list[tuple[str, int, str]]:
    rows = model.objects.exclude(status__in=FINAL_STATUSES).order_by("pk")
    return [(model._meta.label, pk, status) for pk, status in rows.values_list("pk", "status")]
