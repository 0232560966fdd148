"""Celery entry points of the tenants app: fetch by id, call a service."""

from smtplib import SMTPException

from celery import shared_task

from tenants.tasks_base import TenantTask


# Mail-server trouble is retried with backoff (at most 5 times); anything else is a bug.
@shared_task(
    base=TenantTask,
    bind=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def member_added_notify_task(self, *, tenant_id: int, membership_id: int) -> bool:
    """Email a user that they were added to a tenant."""
    from tenants.notifications import member_added_notify

    return member_added_notify(tenant_id=tenant_id, membership_id=membership_id)


@shared_task
def auth_token_purge_expired_task() -> int:
    """Delete expired bearer tokens (global: tokens are a control table)."""
    from tenants.services import auth_token_purge_expired

    return auth_token_purge_expired()
