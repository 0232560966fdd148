"""Inbound email through an ESP: django-anymail's inbound webhooks (mounted at /anymail/).

Anymail's view checks the webhook's credentials (the ESP's signature, and/or the basic-auth
WEBHOOK_SECRET) and sends `anymail.signals.inbound`; this handler files the message.

The tenant comes from the ENVELOPE recipient — the address the ESP received the message for,
which it reports in its authenticated webhook call — read through the INBOUND_EMAIL_ADDRESS
pattern (support+<slug>@domain). Never from the message's own headers (To, Cc, Delivered-To
are whatever the sender wrote). An unknown or missing recipient drops the message (logged).

A webhook anyone could call would let anyone file messages into any tenant, so a message is
only filed when the call was authenticated: by anymail's basic auth (WEBHOOK_SECRET set), or
by an ESP whose anymail view always verifies a signature with a key it cannot run without.
"""

import logging
import re
from email.utils import getaddresses

from anymail.signals import AnymailInboundEvent
from django.conf import settings
from django.core.exceptions import ValidationError

from config.errors import NotFoundError
from notifications.inbound.parsing import EMAIL_ERRORS
from notifications.inbound.services import inbound_email_receive
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.selectors import tenant_get

logger = logging.getLogger(__name__)

# ESPs whose anymail inbound view refuses to start without a signing key and checks every
# call's signature with it (Mailgun: MAILGUN_WEBHOOK_SIGNING_KEY).
SIGNED_ESPS = frozenset({"Mailgun"})


def _address_pattern() -> re.Pattern:
    before, _, after = settings.INBOUND_EMAIL_ADDRESS.partition("{slug}")
    return re.compile(
        rf"^{re.escape(before)}(?P<slug>[a-z0-9][a-z0-9_-]{{0,49}}){re.escape(after)}$",
        re.IGNORECASE,
    )


def inbound_recipient_tenants(envelope_recipient: str | None) -> list[Tenant]:
    """The active tenants the envelope recipient(s) name through INBOUND_EMAIL_ADDRESS, each
    once, in order."""
    if not envelope_recipient:
        return []
    pattern = _address_pattern()
    tenants: dict[int, Tenant] = {}
    for _, address in getaddresses([envelope_recipient]):
        match = pattern.match(address.strip())
        if match is None:
            continue
        try:
            tenant = tenant_get(slug=match.group("slug").lower())
        except NotFoundError:
            continue
        tenants.setdefault(tenant.pk, tenant)
    return list(tenants.values())


def webhook_authenticated(esp_name: str) -> bool:
    """Whether anymail authenticated this ESP's webhook call: the ESP signs every call, or a
    basic-auth WEBHOOK_SECRET is configured (anymail then refuses calls without it)."""
    return esp_name in SIGNED_ESPS or bool(getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"))


def inbound_email_received(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Receiver of anymail.signals.inbound: file the message in the tenant(s) its envelope
    recipient maps to. Messages that cannot be filed are dropped and logged (the ESP retrying
    them would not help); a database failure propagates, so the ESP retries later."""
    log = {"esp": esp_name, "esp_event_id": event.event_id}
    if not webhook_authenticated(esp_name):
        logger.error(
            "inbound email dropped: the %s webhook is not authenticated (set "
            "ANYMAIL_WEBHOOK_SECRET)",
            esp_name,
            extra=log,
        )
        return
    message = event.message
    tenants = inbound_recipient_tenants(getattr(message, "envelope_recipient", None))
    if not tenants:
        logger.warning("inbound email dropped: no tenant for its envelope recipient", extra=log)
        return
    try:
        raw = message.as_bytes()
    except EMAIL_ERRORS:
        logger.warning("inbound email dropped: the ESP's message could not be read", extra=log)
        return
    envelope_sender = getattr(message, "envelope_sender", None)
    for tenant in tenants:
        try:
            with tenant_context(tenant):
                result = inbound_email_receive(
                    tenant=tenant,
                    raw=raw,
                    source=f"anymail:{esp_name.lower()}"[:32],
                    envelope_sender=envelope_sender,
                    spam=bool(getattr(message, "spam_detected", False)),
                )
        except ValidationError as exc:
            logger.warning(
                "inbound email dropped: %s",
                "; ".join(exc.messages),
                extra={**log, "tenant": tenant.slug},
            )
            continue
        logger.info(
            "inbound email from %s: %s",
            esp_name,
            result.result,
            extra={**log, "tenant": tenant.slug, "ticket": result.ticket},
        )
