"""Celery entry points of the notifications app: every email goes out from here.

Account emails are global tasks (users are a control table, not tenant data); invitation
emails run in their tenant. Mail-server trouble is retried with backoff (at most 5 times);
anything else is a bug.
"""

from smtplib import SMTPException

from celery import shared_task

from tenants.tasks_base import TenantTask

MAIL_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(bind=True, **MAIL_RETRY)
def email_verification_notify_task(self, *, user_id: int) -> bool:
    """Email a new account its verification link."""
    from notifications.emails import email_verification_notify

    return email_verification_notify(user_id=user_id)


@shared_task(bind=True, **MAIL_RETRY)
def registration_attempt_notify_task(self, *, user_id: int) -> bool:
    """Email an account holder that someone tried to register their address."""
    from notifications.emails import registration_attempt_notify

    return registration_attempt_notify(user_id=user_id)


@shared_task(bind=True, **MAIL_RETRY)
def password_reset_notify_task(self, *, email: str) -> bool:
    """Email a password-reset link to the account using `email`, if there is one."""
    from notifications.emails import password_reset_notify

    return password_reset_notify(email=email)


@shared_task(base=TenantTask, bind=True, **MAIL_RETRY)
def invitation_send_task(self, *, tenant_id: int, invitation_id: str) -> bool:
    """Email an invitee a fresh link (the token is minted here, never passed in a message)."""
    from notifications.emails import invitation_send

    return invitation_send(tenant_id=tenant_id, invitation_id=invitation_id)
