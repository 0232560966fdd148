"""Account and invitation emails, built when their outbox row is delivered.

Headers carry fixed text only: a tenant's name or an inviter's name are chosen by tenant
members and would let them write an email's subject. In the body they appear on one line.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage

from notifications.models import AccountEmail, AccountEmailKind
from notifications.rendering import build, msgid, one_line
from tenants.models import Invitation, User
from tenants.outbox import Skip
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


def _message(to: str, name: str, subject: str, body: str, message_id: str) -> EmailMessage:
    return EmailMessage(
        subject=subject,
        # The name is whatever the registrant typed: one line, so it cannot add a paragraph
        # of its own to an email the platform sends to that address.
        body=f"Hello {one_line(name) or to},\n\n{body}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
    )


def _verification(user: User, message_id: str) -> EmailMessage:
    if user.email_verified_at is not None:
        raise Skip("the address was verified meanwhile")
    hours = settings.EMAIL_VERIFICATION_TIMEOUT // 3600
    link = _link("verify-email", link_token_make(user=user, purpose="email_verification"))
    return _message(
        user.email,
        user.name,
        "Confirm your email address for Tenantdesk",
        f"Confirm that this address is yours to finish creating your Tenantdesk account:\n\n"
        f"{link}\n\nThe link works once and expires in {hours} hours. If you did not sign "
        f"up, ignore this email.\n",
        message_id,
    )


def _registration_attempt(user: User, message_id: str) -> EmailMessage:
    return _message(
        user.email,
        user.name,
        "Someone tried to register with your email address on Tenantdesk",
        "Someone (maybe you) tried to create a Tenantdesk account with this email address, "
        "but it already has one, so nothing was changed.\n\n"
        "If it was you, log in with your existing account. If you cannot (a forgotten "
        "password, or an address you never confirmed), ask for a password reset: its link "
        "also confirms the address. If it was not you, you can ignore this email.\n",
        message_id,
    )


def _password_reset(user: User, message_id: str) -> EmailMessage:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    link = _link("reset-password", link_token_make(user=user, purpose="password_reset"))
    return _message(
        user.email,
        user.name,
        "Reset your Tenantdesk password",
        f"Someone asked to reset the password of your Tenantdesk account. To choose a new "
        f"one, open:\n\n{link}\n\nThe link works once and expires in {minutes} minutes; "
        f"a new password logs you out everywhere. If you did not ask for this, ignore this "
        f"email: your password stays as it is.\n",
        message_id,
    )


_ACCOUNT_BUILDERS = {
    AccountEmailKind.VERIFICATION: _verification,
    AccountEmailKind.REGISTRATION_ATTEMPT: _registration_attempt,
    AccountEmailKind.PASSWORD_RESET: _password_reset,
}


def account_email_build(row: AccountEmail) -> EmailMessage:
    """The account email of `row`, with a freshly minted link token; Skip when there is no
    active account to send it to (a reset asked for an unknown address, an account gone)."""
    users = User.objects.filter(is_active=True)
    if row.kind == AccountEmailKind.PASSWORD_RESET:
        user = users.filter(email__iexact=row.recipient).first()
    else:
        user = users.filter(pk=row.user_id).first()
    if user is None:
        raise Skip("no active account for this email")
    message = _ACCOUNT_BUILDERS[row.kind](user, msgid(str(row.public_id)))
    logger.info("account.email_built", extra={"kind": row.kind, "user": str(user.public_id)})
    return message


# --- Invitations ------------------------------------------------------------------------------


def invitation_link(token: str) -> str:
    """The URL an invitee opens; the front end posts its token to auth/invitations/accept/."""
    return _link("accept-invitation", token)


def _inviter(invitation: Invitation) -> str:
    person = invitation.invited_by
    if person is None:
        return "An administrator"
    name = one_line(person.name) or person.email
    return f"{name} (through an API key)" if invitation.invited_by_key_id else name


def invitation_email_build(*, row, tenant) -> EmailMessage:
    """The invitation email of an outbox row, with a new link token (its digest replaces the
    previous one in the claim's transaction; the token itself is never stored). Fixed
    subject: the tenant's and the inviter's names stay in the body, on one line."""
    issued = invitation_token_issue(tenant_id=tenant.pk, invitation_id=row.context["invitation"])
    if issued is None:
        raise Skip("the invitation is no longer pending")
    invitation, token = issued
    logger.info("invitation.sent", extra={"invitation": str(invitation.public_id)})
    return build(
        kind="invitation",
        subject=INVITATION_SUBJECT,
        context={
            "tenant_name": one_line(tenant.name),
            "inviter": _inviter(invitation),
            "role": invitation.role,
            "expires": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            "link": invitation_link(token),
        },
        to=invitation.email,
        from_name="Tenantdesk",
        message_id=row.message_id,
    )
