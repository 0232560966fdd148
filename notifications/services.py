"""Writes of the notifications app that people make: reading notifications, choosing
preferences, sending a failed email again."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.errors import ConflictError, NotFoundError
from notifications.models import (
    Channel,
    EmailDelivery,
    Notification,
    NotificationPreference,
)
from notifications.scheduling import MEMBER_KINDS
from notifications.selectors import preferences_get
from tenants.access import Actor
from tenants.models import Tenant, User
from tenants.models.outbox import OutboxStatus
from tenants.outbox import outbox_redeliver
from tenants.services.audit import audit_log_record


class DeliveryNotFinishedError(ConflictError):
    code = "delivery_not_finished"


class DeliveryAlreadySentError(ConflictError):
    code = "delivery_already_sent"


def notification_mark_read(*, tenant: Tenant, notification: Notification) -> Notification:
    """Mark one notification read (again: a no-op that keeps the first time)."""
    if notification.read_at is None:
        now = timezone.now()
        marked = Notification.objects.filter(
            tenant=tenant, pk=notification.pk, read_at__isnull=True
        ).update(read_at=now)
        if marked:
            notification.read_at = now
        else:  # marked meanwhile (read-all, another tab): that time stands
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, tenant: Tenant, user: User) -> int:
    """Mark every unread notification of `user` read; return how many."""
    return Notification.objects.filter(tenant=tenant, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preferences_update(*, tenant: Tenant, user: User, changes: dict) -> dict[str, dict[str, bool]]:
    """Apply {kind: {channel: enabled}} to `user`'s choices; return all of them. Unknown
    kinds, channels or non-boolean values are a ValidationError naming them."""
    if not isinstance(changes, dict):
        raise ValidationError({"non_field_errors": ["Send an object: {kind: {channel: bool}}."]})
    errors: dict[str, list[str]] = {}
    rows = []
    now = timezone.now()
    for kind, channels in changes.items():
        if kind not in MEMBER_KINDS:
            errors[str(kind)[:64]] = [
                f"Not a notification you can choose: {', '.join(MEMBER_KINDS)}."
            ]
            continue
        if not isinstance(channels, dict):
            errors[kind] = ["Send an object: {channel: true|false}."]
            continue
        for channel, enabled in channels.items():
            if channel not in Channel.values:
                errors[kind] = [f"Unknown channel {str(channel)[:32]!r}: use email or in_app."]
            elif not isinstance(enabled, bool):
                errors[kind] = [f"{channel}: true or false."]
            else:
                rows.append(
                    NotificationPreference(
                        user=user, kind=kind, channel=channel, enabled=enabled, updated_at=now
                    )
                )
    if errors:
        raise ValidationError(errors)
    if rows:
        NotificationPreference.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["tenant", "user", "kind", "channel"],
            update_fields=["enabled", "updated_at"],
        )
    return preferences_get(tenant=tenant, user=user)


REDELIVERABLE = (OutboxStatus.FAILED, OutboxStatus.DEAD, OutboxStatus.SUPPRESSED)


@transaction.atomic
def email_delivery_redeliver(*, tenant: Tenant, actor: Actor, delivery: EmailDelivery):
    """Send a failed, dead or suppressed email again (a fresh series of attempts; a
    suppression still applies when it is sent). Audited."""
    delivery = (
        EmailDelivery.objects.select_for_update().filter(tenant=tenant, pk=delivery.pk).first()
    )
    if delivery is None:  # purged meanwhile
        raise NotFoundError()
    if delivery.status == OutboxStatus.SENT:
        raise DeliveryAlreadySentError("This email was sent; it is not sent twice.")
    if delivery.status not in REDELIVERABLE:
        raise DeliveryNotFinishedError("This email is still being delivered.")
    previous = delivery.status
    outbox_redeliver(delivery)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="email.redelivered",
        target_type="email_delivery",
        target_id=str(delivery.public_id),
        before={"status": previous},
        after={"status": OutboxStatus.PENDING},
    )
    delivery.refresh_from_db()
    return delivery
