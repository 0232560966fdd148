"""Celery entry points of the tenants app: fetch by id, call a service."""

from smtplib import SMTPException

from celery import shared_task

from tenants.tasks_base import TenantTask

# Account emails are global tasks (users are a control table, not tenant data). For every
# email, mail-server trouble is retried with backoff (at most 5 times); anything else is a bug.
_MAIL_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(bind=True, **_MAIL_RETRY)
def email_verification_notify_task(self, *, user_id: int) -> bool:
    """Email a new account its verification link."""
    from tenants.notifications import email_verification_notify

    return email_verification_notify(user_id=user_id)


@shared_task(bind=True, **_MAIL_RETRY)
def registration_attempt_notify_task(self, *, user_id: int) -> bool:
    """Email an account holder that someone tried to register their address."""
    from tenants.notifications import registration_attempt_notify

    return registration_attempt_notify(user_id=user_id)


@shared_task(bind=True, **_MAIL_RETRY)
def password_reset_notify_task(self, *, email: str) -> bool:
    """Email a password-reset link to the account using `email`, if there is one."""
    from tenants.notifications import password_reset_notify

    return password_reset_notify(email=email)


@shared_task(base=TenantTask, bind=True, **_MAIL_RETRY)
def invitation_send_task(self, *, tenant_id: int, invitation_id: int) -> bool:
    """Email an invitee a fresh link (the token is minted here, never passed in a message)."""
    from tenants.services import invitation_send

    return invitation_send(tenant_id=tenant_id, invitation_id=invitation_id)


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
