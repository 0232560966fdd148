"""Ticket-side objects the cross-cutting tests (matrices, contract) need in a tenant."""

from types import SimpleNamespace

from django.core.files.base import ContentFile

from tenants.access import Actor
from tenants.context import tenant_context
from tickets import services


def ticket_with_attachment_and_export(tenant, *, subject: str, customer_email: str):
    """A ticket (with a comment and a text attachment) and a finished CSV export, made
    through the services; returns SimpleNamespace(ticket, attachment, export)."""
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=Actor(), subject=subject, customer_email=customer_email
        )
        services.comment_create(tenant=tenant, actor=Actor(), ticket=ticket, body="Hi")
        attachment = services.attachment_create(
            tenant=tenant,
            actor=Actor(),
            ticket=ticket,
            file=ContentFile(b"hello", name="a.txt"),
            filename="a.txt",
            content_type="text/plain",
        )
        export = services.export_job_create(tenant=tenant, actor=Actor(), filters={})
        services.ticket_export(tenant=tenant, job_id=export.pk)
    return SimpleNamespace(ticket=ticket, attachment=attachment, export=export)


def tier_policy(tenant, tier: str = "basic"):
    """A tier's SLA policy override (the default policy comes with it), made by the service."""
    from tickets.services.sla_settings import sla_policy_create

    with tenant_context(tenant):
        return sla_policy_create(tenant=tenant, actor=Actor(), tier=tier)
