"""Which events send which emails. Registered in NotificationsConfig.ready().

Each handler runs in the publisher's transaction and only schedules the email task for after
the commit: a rolled-back change sends nothing. (The notifications outbox will replace these
enqueues with rows written in the same transaction.)
"""

from django.db import transaction

from tenants import events
from tenants.domain_events import (
    AccountRegistered,
    AccountRegistrationRepeated,
    InvitationCreated,
    InvitationResent,
    PasswordResetRequested,
)
from tenants.events import Envelope


def _on_commit(task, *, robust: bool = False, **kwargs) -> None:
    transaction.on_commit(lambda: task.delay(**kwargs), robust=robust)


def account_registered(envelope: Envelope) -> None:
    """Send a new account its verification link."""
    from notifications.tasks import email_verification_notify_task

    _on_commit(email_verification_notify_task, user_id=envelope.data["user_id"])


def registration_repeated(envelope: Envelope) -> None:
    """Tell an account holder that someone tried to register their address."""
    from notifications.tasks import registration_attempt_notify_task

    _on_commit(registration_attempt_notify_task, user_id=envelope.data["user_id"])


def password_reset_requested(envelope: Envelope) -> None:
    """Send a password-reset link (if an account uses the address)."""
    from notifications.tasks import password_reset_notify_task

    _on_commit(password_reset_notify_task, email=envelope.data["email"])


def invitation_pending(envelope: Envelope) -> None:
    """Email an invitee their link, on a new invitation and on every resend."""
    from notifications.tasks import invitation_send_task

    # robust: the invitation is committed whatever the broker says (a failed enqueue is
    # logged; the admin can resend).
    _on_commit(
        invitation_send_task,
        robust=True,
        tenant_id=envelope.tenant_id,
        invitation_id=envelope.data["invitation"],
    )


SUBSCRIPTIONS = (
    (AccountRegistered, account_registered),
    (AccountRegistrationRepeated, registration_repeated),
    (PasswordResetRequested, password_reset_requested),
    (InvitationCreated, invitation_pending),
    (InvitationResent, invitation_pending),
)


def connect() -> None:
    """Subscribe every handler above (idempotent)."""
    for event, handler in SUBSCRIPTIONS:
        events.subscribe(event)(handler)
