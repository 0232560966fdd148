"""Emails the tenants app sends itself (before the notifications outbox exists)."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail

from tenants.models import Membership, User
from tenants.tokens import link_token_make

logger = logging.getLogger(__name__)


# --- Accounts ---------------------------------------------------------------------------------
# Link tokens are made here, in the worker, when the email is written: the task message carries
# only an id (or the address), so no token rests in the broker, a log or the database.


def _link(page: str, token: str) -> str:
    """`{PUBLIC_BASE_URL}/<page>?token=<token>`: every emailed link carries its token so."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/{page}?{urlencode({'token': token})}"


def _send(user: User, subject: str, body: str) -> None:
    send_mail(
        subject=subject,
        message=f"Hello {user.name or user.email},\n\n{body}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def email_verification_notify(*, user_id: int) -> bool:
    """Send a new account its email-verification link; False if verified or gone meanwhile."""
    user = User.objects.filter(pk=user_id, is_active=True, email_verified_at__isnull=True).first()
    if user is None:
        return False
    hours = settings.EMAIL_VERIFICATION_TIMEOUT // 3600
    link = _link("verify-email", link_token_make(user=user, purpose="email_verification"))
    _send(
        user,
        "Confirm your email address for Tenantdesk",
        f"Confirm that this address is yours to finish creating your Tenantdesk account:\n\n"
        f"{link}\n\nThe link works once and expires in {hours} hours. If you did not sign "
        f"up, ignore this email.\n",
    )
    logger.info("account.verification_sent", extra={"user": str(user.public_id)})
    return True


def registration_attempt_notify(*, user_id: int) -> bool:
    """Tell an account holder someone tried to register their address again (no link)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    _send(
        user,
        "Someone tried to register with your email address on Tenantdesk",
        "Someone (maybe you) tried to create a Tenantdesk account with this email address, "
        "but it already has one, so nothing was changed.\n\n"
        "If it was you, log in with your existing account. If you cannot (a forgotten "
        "password, or an address you never confirmed), ask for a password reset: its link "
        "also confirms the address. If it was not you, you can ignore this email.\n",
    )
    logger.info("account.registration_attempt_notified", extra={"user": str(user.public_id)})
    return True


def password_reset_notify(*, email: str) -> bool:
    """Send a password-reset link to the active account using `email`; False if none does."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return False
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    link = _link("reset-password", link_token_make(user=user, purpose="password_reset"))
    _send(
        user,
        "Reset your Tenantdesk password",
        f"Someone asked to reset the password of your Tenantdesk account. To choose a new "
        f"one, open:\n\n{link}\n\nThe link works once and expires in {minutes} minutes; "
        f"a new password logs you out everywhere. If you did not ask for this, ignore this "
        f"email: your password stays as it is.\n",
    )
    logger.info("account.password_reset_sent", extra={"user": str(user.public_id)})
    return True


# --- Members ----------------------------------------------------------------------------------


def member_added_notify(*, tenant_id: int, membership_id: int) -> bool:
    """Tell a new member which tenant they joined and with what role; False if gone."""
    membership = (
        Membership.objects.select_related("user", "tenant")
        .filter(pk=membership_id, tenant_id=tenant_id, is_active=True)
        .first()
    )
    if membership is None:
        return False
    tenant = membership.tenant
    send_mail(
        subject=f"You were added to {tenant.name} on Tenantdesk",
        message=(
            f"Hello {membership.user.name or membership.user.email},\n\n"
            f"You are now a member of {tenant.name} with the role {membership.role}.\n"
            f"API: {settings.PUBLIC_BASE_URL}/api/v1/t/{tenant.slug}/\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[membership.user.email],
    )
    logger.info("member.notified", extra={"membership": str(membership.public_id)})
    return True
