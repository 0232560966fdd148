"""What email providers report after accepting a message (django-anymail's tracking webhooks,
`/anymail/<esp>/tracking/`, signature-checked by anymail): the delivery row records it, and a
hard bounce or a complaint puts the address on the tenant's suppression list, which both
providers share.

The tenant comes from the metadata we attached when sending (anymail echoes it back in the
signed webhook), never from the recipient address.
"""

import logging
import uuid

from django.utils import timezone

from notifications.inbound.esp import webhook_authenticated
from notifications.models import EmailDelivery, EmailSuppression, SuppressionReason
from tenants.context import tenant_context
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# anymail's normalized event types → what a delivery row keeps; and which suppress.
TRACKED = ("queued", "sent", "rejected", "failed", "bounced", "deferred", "delivered",
           "complained", "unsubscribed")  # fmt: skip
SUPPRESSING = {
    "bounced": SuppressionReason.BOUNCE,
    "complained": SuppressionReason.COMPLAINT,
    "unsubscribed": SuppressionReason.COMPLAINT,
}


def metadata_for(row: EmailDelivery, tenant: Tenant) -> dict[str, str]:
    """What a sent email carries for its tracking events to find their way back."""
    return {"tenant": tenant.slug, "delivery": str(row.public_id)}


def _delivery(event) -> EmailDelivery | None:
    delivery_id = (event.metadata or {}).get("delivery")
    try:
        by_id = uuid.UUID(str(delivery_id)) if delivery_id else None
    except ValueError:
        by_id = None
    if by_id is not None:
        return EmailDelivery.objects.filter(public_id=by_id).first()
    if event.message_id:
        return EmailDelivery.objects.filter(provider_message_id=str(event.message_id)).first()
    return None


def email_tracking_record(*, tenant: Tenant, event, esp_name: str) -> EmailDelivery | None:
    """Record one tracking event in `tenant` (idempotent: a replay changes nothing)."""
    row = _delivery(event)
    if row is None:  # not an email of ours in this tenant: nothing to record or suppress
        return None
    event_type = str(event.event_type)
    if event_type in TRACKED and row.tracking_status != event_type:
        row.tracking_status = event_type
        row.tracking_at = event.timestamp or timezone.now()
        row.save(update_fields=["tracking_status", "tracking_at"])
    reason = SUPPRESSING.get(event_type)
    recipient = (event.recipient or row.recipient or "").strip().lower()
    # Only the address the email went to: an event cannot suppress anyone else.
    if reason is not None and recipient == row.recipient:
        _, created = EmailSuppression.objects.get_or_create(
            email=recipient,
            defaults={
                "reason": reason,
                "provider": esp_name[:64],
                "provider_event_id": str(event.event_id or "")[:255],
            },
        )
        if created:
            logger.info("email.suppressed", extra={"reason": reason, "provider": esp_name})
    return row


def tracking_received(sender, event, esp_name, **kwargs) -> None:
    """anymail.signals.tracking receiver: find the tenant, record the event there. Events of
    a webhook nobody authenticated (an ESP that does not sign, without ANYMAIL_WEBHOOK_SECRET)
    are dropped: anyone could otherwise suppress a tenant's customers."""
    if not webhook_authenticated(esp_name):
        logger.error(
            "email.tracking_unauthenticated",
            extra={"provider": esp_name, "hint": "set ANYMAIL_WEBHOOK_SECRET"},
        )
        return
    slug = (event.metadata or {}).get("tenant")
    tenant = Tenant.objects.filter(slug=str(slug), is_active=True).first() if slug else None
    if tenant is None:
        logger.warning(
            "email.tracking_unrouted",
            extra={"provider": esp_name, "event_type": str(event.event_type)},
        )
        return
    with tenant_context(tenant):
        email_tracking_record(tenant=tenant, event=event, esp_name=esp_name)
