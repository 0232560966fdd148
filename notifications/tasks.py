"""Celery entry points of the notifications app: every email goes out from here, one outbox
row per task (tenants.outbox: claim, prepare, send, record; retries wait in next_attempt_at,
not in the broker).

Tenant emails run in their tenant, outside a single transaction (the claim commits before the
provider is called); account emails are global (users are a control table, not tenant data).
"""

from celery import shared_task
from django.conf import settings

from tenants.tasks_base import TenantTask

# The hard limit stays below the outbox lease (OUTBOX_LEASE_SECONDS): a row is taken over only
# from a worker that is gone. No autoretry: the outbox records failures and retries.
DELIVERY = {
    "time_limit": settings.OUTBOX_TASK_TIME_LIMIT,
    "soft_time_limit": settings.OUTBOX_TASK_TIME_LIMIT - 10,
}


@shared_task(base=TenantTask, atomic=False, **DELIVERY)
def email_delivery_send_task(*, tenant_id: int, row_id: int) -> str | None:
    """Deliver one tenant email outbox row (no-op if it is not due or another worker has it)."""
    from notifications.delivery import email_delivery_prepare, email_send
    from notifications.models import EmailDelivery
    from tenants.outbox import outbox_deliver

    return outbox_deliver(
        EmailDelivery,
        row_id=row_id,
        tenant_id=tenant_id,
        prepare=email_delivery_prepare,
        send=email_send,
    )


@shared_task(**DELIVERY)
def account_email_send_task(*, row_id: int) -> str | None:
    """Deliver one platform account email (verification, registration attempt, reset)."""
    from notifications.delivery import account_email_prepare, email_send
    from notifications.models import AccountEmail
    from tenants.outbox import outbox_deliver

    return outbox_deliver(
        AccountEmail, row_id=row_id, prepare=account_email_prepare, send=email_send
    )
