"""Celery entry points of the tickets app: fetch by id, call a service."""

from celery import shared_task

from tenants.tasks_base import TenantTask


# No autoretry: the service records any failure on the job (status failed, error), and a
# worker lost mid-run leaves the job pending and locked-free for the redelivered message.
@shared_task(base=TenantTask, bind=True)
def ticket_export_task(self, *, tenant_id: int, job_id: int) -> str | None:
    """Write one export job's CSV to storage; a finished job is left alone."""
    from tenants.models import Tenant
    from tickets.services.exports import ticket_export

    job = ticket_export(tenant=Tenant.objects.get(pk=tenant_id), job_id=job_id)
    return job.status if job is not None else None


@shared_task
def export_files_expire_task() -> int:
    """Fan out the deletion of expired export files, one task per tenant.

    Deactivated tenants included: their exports still hold ticket data and still expire.
    """
    from tenants.models import Tenant

    tenant_ids = list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        export_files_expire_tenant_task.delay(tenant_id=tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask)
def export_files_expire_tenant_task(*, tenant_id: int) -> int:
    """Delete one tenant's export files past the retention period."""
    from tenants.models import Tenant
    from tickets.services.exports import export_files_expire

    return export_files_expire(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task
def sla_sweep_task() -> int:
    """Fan out the SLA breach and escalation sweep, one task per active tenant."""
    from tenants.models import Tenant

    tenant_ids = list(
        Tenant.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    for tenant_id in tenant_ids:
        sla_sweep_tenant_task.delay(tenant_id=tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask)
def sla_sweep_tenant_task(*, tenant_id: int) -> dict:
    """Store one tenant's due SLA breaches and escalate them (each once)."""
    from tenants.models import Tenant
    from tickets.services.sla import sla_sweep

    result = sla_sweep(tenant=Tenant.objects.get(pk=tenant_id))
    return {"breached": result.breached, "escalated": result.escalated}


@shared_task(base=TenantTask, atomic=False)
def sla_recompute_task(*, tenant_id: int, requester_id: int | None = None) -> int:
    """Recompute the due times of one tenant's unfinished tickets (or one requester's) after
    an SLA policy, the business hours or a tier changed; batches commit on their own."""
    from tenants.models import Tenant
    from tickets.services.sla_settings import sla_recompute

    return sla_recompute(tenant=Tenant.objects.get(pk=tenant_id), requester_id=requester_id)


@shared_task(base=TenantTask, atomic=False)
def ticket_search_rebuild_task(*, tenant_id: int) -> int:
    """Rebuild one tenant's search documents after its search language changed (enqueued by
    tenants.services.tenants.tenant_update); batches commit on their own."""
    from tickets.search import ticket_search_rebuild

    return ticket_search_rebuild(tenant_id=tenant_id)
