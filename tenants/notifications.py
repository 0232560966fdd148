"""Emails the tenants app sends itself (before the notifications outbox exists)."""

import logging

from django.conf import settings
from django.core.mail import send_mail

from tenants.models import Membership

logger = logging.getLogger(__name__)


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
