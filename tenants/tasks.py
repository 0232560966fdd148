"""Celery entry points of the tenants app: fetch by id, call a service."""

from celery import shared_task

from tenants.tasks_base import TenantTask


@shared_task
def auth_token_purge_expired_task() -> int:
    """Delete expired bearer tokens (global: tokens are a control table)."""
    from tenants.services import auth_token_purge_expired

    return auth_token_purge_expired()


@shared_task
def idempotency_purge_task() -> int:
    """Fan out the purge of expired idempotency records, one task per tenant.

    Deactivated tenants included: their stored responses expire like anyone's (retention
    does not stop when the tenant's routes do).
    """
    from tenants.models import Tenant

    tenant_ids = list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        idempotency_purge_tenant_task.delay(tenant_id=tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask)
def idempotency_purge_tenant_task(*, tenant_id: int) -> int:
    """Delete one tenant's expired idempotency records."""
    from tenants.idempotency import purge_expired

    return purge_expired()


@shared_task
def outbox_sweep_task() -> int:
    """Re-send the platform's due outbox rows, and fan out one sweep per tenant."""
    from django.db import transaction

    from tenants.models import Tenant
    from tenants.outbox import outbox_sweep

    with transaction.atomic():
        count = outbox_sweep()
    # Deactivated tenants too: their rows end suppressed ("the tenant is deactivated") instead
    # of waiting to go out weeks late if the tenant comes back.
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        outbox_sweep_tenant_task.delay(tenant_id=tenant_id)
    return count


@shared_task(base=TenantTask)
def outbox_sweep_tenant_task(*, tenant_id: int) -> int:
    """Re-send the delivery task of one tenant's outbox rows that are due again or whose
    lease expired (and run the other apps' sweep hooks: lost export messages)."""
    from tenants.models import Tenant
    from tenants.outbox import outbox_sweep

    return outbox_sweep(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task
def outbox_purge_task() -> int:
    """Delete the platform's finished outbox rows past retention; fan out per tenant."""
    from django.db import transaction

    from tenants.models import Tenant
    from tenants.outbox import outbox_purge

    with transaction.atomic():
        deleted = outbox_purge()
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        outbox_purge_tenant_task.delay(tenant_id=tenant_id)
    return deleted


@shared_task(base=TenantTask)
def outbox_purge_tenant_task(*, tenant_id: int) -> int:
    """Delete one tenant's finished outbox rows past retention (the delivery log's depth)."""
    from tenants.models import Tenant
    from tenants.outbox import outbox_purge

    return outbox_purge(tenant=Tenant.objects.get(pk=tenant_id))
