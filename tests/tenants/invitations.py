"""Inviting in tests: through the service, with the token read from the email it sends; the
invitation routes and what the accept route answers for a link it cannot use."""

import json
import re

from django.core import mail
from django.test import TestCase

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Invitation, Role

ACCEPT_URL = "/api/v1/auth/invitations/accept/"
# The one answer for an unknown, used, revoked or expired token.
INVALID_LINK = "This invitation link is invalid or has expired. Ask for a new invitation."
LINK_RE = re.compile(r"/accept-invitation\?token=([A-Za-z0-9_-]+)\s")


def token_from_email(message) -> str:
    """The token of the accept link in an invitation email's body."""
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def last_token_for(email: str) -> str:
    """The token in the newest invitation email sent to `email`."""
    messages = [m for m in mail.outbox if m.to == [email]]
    assert messages, f"no email to {email}"
    return token_from_email(messages[-1])


def invite(tenant, inviter, email: str, role: str = Role.AGENT, **fields) -> tuple[Invitation, str]:
    """Invite `email` as the member `inviter`; run the email task; return (invitation, token)."""
    actor = Actor(user=inviter.user, role=inviter.role)
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation = services.invitation_create(
            tenant=tenant, actor=actor, email=email, role=role, **fields
        )
    return invitation, last_token_for(email.lower())


def invitations_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/invitations/"


def invitation_url(invitation) -> str:
    return f"{invitations_url(invitation.tenant)}{invitation.public_id}/"


def all_audit_text(tenant) -> str:
    with tenant_context(tenant):
        return json.dumps(list(AuditLogEntry.objects.values()), default=str)
