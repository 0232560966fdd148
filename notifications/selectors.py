"""Reads of the notifications app (inside the tenant's context)."""

from datetime import timedelta

from django.db.models import Case, F, QuerySet, When

from notifications.models import Channel, EmailDelivery, Notification, NotificationPreference
from notifications.scheduling import MEMBER_KINDS
from tenants.models import Tenant, User

# Unread notifications sort ahead of read ones, each newest first, through one sortable
# position (the cursor paginates on it): an unread one's creation time moved far ahead.
_UNREAD_AHEAD = timedelta(days=365 * 1000)
UNREAD_FIRST = Case(
    When(read_at__isnull=True, then=F("created_at") + _UNREAD_AHEAD),
    default=F("created_at"),
)


def notification_list(*, tenant: Tenant) -> QuerySet[Notification]:
    """Return the tenant's in-app notifications, unread first (annotated `position`)."""
    return Notification.objects.filter(tenant=tenant).annotate(position=UNREAD_FIRST)


def notification_unread_count(*, tenant: Tenant, user: User) -> int:
    """Return how many of `user`'s notifications are unread."""
    return Notification.objects.filter(tenant=tenant, user=user, read_at__isnull=True).count()


def email_delivery_list(*, tenant: Tenant) -> QuerySet[EmailDelivery]:
    """Return the tenant's email deliveries (the outbox log), newest first."""
    return EmailDelivery.objects.filter(tenant=tenant)


def preferences_get(*, tenant: Tenant, user: User) -> dict[str, dict[str, bool]]:
    """Return `user`'s choices: {kind: {channel: enabled}} for every member kind (on when
    never set)."""
    chosen = {
        (kind, channel): enabled
        for kind, channel, enabled in NotificationPreference.objects.filter(
            tenant=tenant, user=user
        ).values_list("kind", "channel", "enabled")
    }
    return {
        kind: {channel: chosen.get((kind, channel), True) for channel in Channel.values}
        for kind in MEMBER_KINDS
    }
