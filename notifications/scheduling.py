"""Writing notifications: outbox rows for emails and in-app notifications, in the transaction
of the change that caused them, respecting each member's preferences."""

import uuid

from django.utils import timezone

from notifications.models import (
    AccountEmail,
    Channel,
    EmailDelivery,
    EmailKind,
    Notification,
    NotificationPreference,
)
from notifications.rendering import msgid
from tenants.compiled import CompiledInsert
from tenants.events import Envelope
from tenants.models import User
from tenants.outbox import outbox_enqueue_on_commit

# What a member may switch off, per channel (customers' emails follow the ticket, not a
# preference; invitations and account emails are not optional).
MEMBER_KINDS: tuple[str, ...] = tuple(
    str(kind.value)
    for kind in (
        EmailKind.ASSIGNED_TO_YOU,
        EmailKind.CUSTOMER_REPLIED,
        EmailKind.SLA_BREACHED,
        EmailKind.TICKET_ESCALATED,
    )
)


def preferences_off(*, users: list[User], kind: str, channel: str) -> set[int]:
    """Ids of the `users` who switched `kind` off on `channel` (one query)."""
    if not users:
        return set()
    return set(
        NotificationPreference.objects.filter(
            user__in=users, kind=kind, channel=channel, enabled=False
        ).values_list("user_id", flat=True)
    )


def email_schedule(
    *,
    envelope: Envelope,
    kind: str,
    recipient: str,
    user: User | None = None,
    customer_id: int | None = None,
    ticket_number: int | None = None,
    context: dict | None = None,
) -> EmailDelivery:
    """Write the outbox row of one email and send it after the commit. One statement: an
    insert that, for an event, kind and recipient already written, keeps the existing row."""
    public_id = uuid.uuid4()
    row = EmailDelivery(
        public_id=public_id,
        event_id=envelope.id,
        event_type=envelope.type,
        kind=kind,
        recipient=recipient.lower(),
        recipient_user=user,
        recipient_customer_id=customer_id,
        ticket_number=ticket_number,
        context=context or {},
        message_id=msgid(str(public_id)),
    )
    _EMAIL_UPSERT.insert(row)
    outbox_enqueue_on_commit(row)
    return row


# Written for nearly every ticket event: the upsert built once per process (tenants.compiled).
_EMAIL_UPSERT = CompiledInsert(
    EmailDelivery,
    update_conflicts=(["tenant", "event_id", "kind", "recipient"], ["updated_at"]),
)


def members_notify(
    *,
    envelope: Envelope,
    kind: str,
    users: list[User],
    ticket_number: int | None,
    title: str,
    data: dict | None = None,
) -> None:
    """Notify `users` (members) of `kind`: in app and by email, each as they chose."""
    off_in_app = preferences_off(users=users, kind=kind, channel=Channel.IN_APP)
    off_email = preferences_off(users=users, kind=kind, channel=Channel.EMAIL)
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                event_id=envelope.id,
                event_type=envelope.type,
                kind=kind,
                ticket_number=ticket_number,
                title=title,
                data=data or {},
                created_at=now,
            )
            for user in users
            if user.pk not in off_in_app
        ],
        ignore_conflicts=True,
    )
    for user in users:
        if user.pk in off_email:
            continue
        email_schedule(
            envelope=envelope,
            kind=kind,
            recipient=user.email,
            user=user,
            ticket_number=ticket_number,
            context=data,
        )


def account_email_schedule(
    *, envelope: Envelope, kind: str, user_id: int | None = None, recipient: str = ""
) -> AccountEmail:
    """Write the platform outbox row of one account email and send it after the commit."""
    row, created = AccountEmail.objects.get_or_create(
        event_id=envelope.id,
        defaults={"kind": kind, "user_id": user_id, "recipient": recipient.lower()},
    )
    if created:
        outbox_enqueue_on_commit(row)
    return row
