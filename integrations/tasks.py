"""Celery entry points of the integrations app: one outbox row per task (tenants.outbox)."""

from celery import shared_task
from django.conf import settings

from tenants.tasks_base import TenantTask

# The hard limit stays below the outbox lease; retries wait in next_attempt_at, not in Redis.
DELIVERY = {
    "time_limit": settings.OUTBOX_TASK_TIME_LIMIT,
    "soft_time_limit": settings.OUTBOX_TASK_TIME_LIMIT - 10,
}


@shared_task(base=TenantTask, atomic=False, **DELIVERY)
def webhook_delivery_send_task(*, tenant_id: int, row_id: int) -> str | None:
    """Send one webhook delivery (no-op if it is not due or another worker has it)."""
    from integrations.models import WebhookDelivery
    from integrations.webhooks.delivery import webhook_delivery_prepare, webhook_send
    from tenants.outbox import outbox_deliver

    return outbox_deliver(
        WebhookDelivery,
        row_id=row_id,
        tenant_id=tenant_id,
        prepare=webhook_delivery_prepare,
        send=webhook_send,
    )


@shared_task(base=TenantTask, atomic=False, **DELIVERY)
def crm_sync_task(*, tenant_id: int, row_id: int) -> str | None:
    """Send one customer change to the tenant's CRM (no-op if not due or taken)."""
    from integrations.crm_sync import crm_sync_prepare, crm_sync_send
    from integrations.models import CrmSync
    from tenants.outbox import outbox_deliver

    return outbox_deliver(
        CrmSync, row_id=row_id, tenant_id=tenant_id, prepare=crm_sync_prepare, send=crm_sync_send
    )
