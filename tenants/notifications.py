"""Emails the tenants app sends itself (before the notifications outbox exists).

Headers carry fixed text only: a tenant's name or an inviter's name are chosen by tenant
members and would let them write an email's subject. In the plain-text body they appear as
plain text, on one line.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail

from tenants.models import Invitation

logger = logging.getLogger(__name__)

INVITATION_SUBJECT = "You have been invited to Tenantdesk"


def invitation_link(token: str) -> str:
    """The URL an invitee opens; the front end posts its token to auth/invitations/accept/."""
    return f"{settings.PUBLIC_BASE_URL}/accept-invitation?token={token}"


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
