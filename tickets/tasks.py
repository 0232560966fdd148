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
