"""Account and invitation emails (plain text), sent by the tasks of notifications.tasks.

Headers carry fixed text only: a tenant's name or an inviter's name are chosen by tenant
members and would let them write an email's subject. In the plain-text body they appear as
plain text, on one line.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from tenants.models import Invitation, User
from tenants.services import invitation_token_issue
from tenants.tokens import link_token_make

logger = logging.getLogger(__name__)

INVITATION_SUBJECT = "You have been invited to Tenantdesk"


# --- Accounts ---------------------------------------------------------------------------------
# Link tokens are made here, in the worker, when the email is written: the task message carries
# only an id (or the address), so no token rests in the broker, a log or the database.


def _link(page: str, token: str) -> str:
    """`{PUBLIC_BASE_URL}/<page>?token=<token>`: every emailed link carries its token so."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/{page}?{urlencode({'token': token})}"


def _send(user: User, subject: str, body: str) -> None:
    send_mail(
        subject=subject,
        # The name is whatever the registrant typed: one line, so it cannot add a paragraph
        # of its own to an email the platform sends to that address.
        message=f"Hello {_one_line(user.name) or user.email},\n\n{body}",
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


# --- Invitations ------------------------------------------------------------------------------


def invitation_link(token: str) -> str:
    """The URL an invitee opens; the front end posts its token to auth/invitations/accept/."""
    return _link("accept-invitation", token)


def _one_line(text: str, limit: int = 200) -> str:
    # No line breaks or runs of blanks: tenant text cannot fake a paragraph of the email.
    return " ".join(str(text).split())[:limit]


def _inviter(invitation: Invitation) -> str:
    person = invitation.invited_by
    if person is None:
        return "An administrator"
    name = _one_line(person.name) or person.email
    return f"{name} (through an API key)" if invitation.invited_by_key_id else name


def invitation_email_send(*, invitation: Invitation, token: str) -> None:
    """Email the invitee the link that carries `token` (plain text; fixed subject)."""
    expires = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    body = (
        "Hello,\n\n"
        f"{_inviter(invitation)} invited you to join the workspace "
        f'"{_one_line(invitation.tenant.name)}" on Tenantdesk as {invitation.role}.\n\n'
        "To accept, open this link (it works once, until "
        f"{expires}):\n{invitation_link(token)}\n\n"
        "If you do not know the sender, ignore this email: nothing happens unless you accept.\n"
    )
    send_mail(
        subject=INVITATION_SUBJECT,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
    logger.info("invitation.sent", extra={"invitation": str(invitation.public_id)})


@transaction.atomic
def invitation_send(*, tenant_id: int, invitation_id: str) -> bool:
    """Mint a new link for a pending invitation and email it; False if nothing to send.

    Runs in the email task (inside the tenant). The token is minted and its digest stored in
    this transaction: an SMTP failure raises, the token rolls back, the task retries.
    """
    issued = invitation_token_issue(tenant_id=tenant_id, invitation_id=invitation_id)
    if issued is None:
        return False
    invitation, token = issued
    invitation_email_send(invitation=invitation, token=token)
    return True
