"""Helpers for notifications tests: run what the commit would send, read the outbox rows."""

from notifications.models import EmailDelivery
from notifications.tasks import email_delivery_send_task
from tenants.context import tenant_context


def deliveries(tenant, **filters) -> list[EmailDelivery]:
    """The tenant's email outbox rows, oldest first."""
    with tenant_context(tenant):
        return list(EmailDelivery.objects.filter(**filters).order_by("pk"))


def deliver(row: EmailDelivery) -> str | None:
    """Run the delivery task of `row` as a worker would (eager)."""
    return email_delivery_send_task.delay(tenant_id=row.tenant_id, row_id=row.pk).get()


def kinds(mailbox) -> list[tuple[str, str]]:
    """(recipient, subject) of each email sent, in order."""
    return [(m.to[0], m.subject) for m in mailbox]
