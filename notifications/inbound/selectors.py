"""Reads of inbound email: the tenant's secret and address, and the tickets a message answers."""

import re

from django.conf import settings
from django.urls import reverse

from notifications.inbound.parsing import SYNTHETIC_ID_DOMAIN
from notifications.models import EmailDelivery, InboundEmail, InboundSecret, InboundStatus
from tenants.models import Tenant
from tickets.models import Ticket

# How many merges a reply follows to reach the ticket its conversation lives in now.
_MAX_MERGE_HOPS = 10


def inbound_secret_get(*, tenant: Tenant) -> InboundSecret | None:
    """Return the tenant's inbound secret (its digest and when it was made), or None."""
    return InboundSecret.objects.filter(tenant=tenant).first()


def inbound_address(*, tenant: Tenant) -> str:
    """Return the address the tenant's customers write to (INBOUND_EMAIL_ADDRESS)."""
    return settings.INBOUND_EMAIL_ADDRESS.format(slug=tenant.slug)


def inbound_endpoint_path(*, tenant: Tenant) -> str:
    """Return the path of the tenant's raw-MIME endpoint."""
    return reverse("inbound-email", kwargs={"tenant_slug": tenant.slug})


def _thread_id_pattern() -> re.Pattern:
    # notifications.rendering.ticket_thread_id, read back.
    domain = re.escape(settings.EMAIL_MESSAGE_ID_DOMAIN)
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    return re.compile(rf"^<ticket-({uuid})@{domain}>$")


def inbound_ticket_number_for_ids(*, tenant: Tenant, message_ids: list[str]) -> int | None:
    """Return the number of the ticket the first of `message_ids` that we know belongs to:
    a ticket's thread id, an email we sent about a ticket, or a customer email we filed."""
    if not message_ids:
        return None
    numbers: dict[str, int] = {}
    pattern = _thread_id_pattern()
    thread_ids = {match.group(1): mid for mid in message_ids if (match := pattern.match(mid))}
    if thread_ids:
        for public_id, number in Ticket.objects.filter(
            tenant=tenant, public_id__in=list(thread_ids)
        ).values_list("public_id", "number"):
            numbers[thread_ids[str(public_id)]] = number
    for model in (EmailDelivery, InboundEmail):
        rows = model.objects.filter(
            tenant=tenant, message_id__in=message_ids, ticket_number__isnull=False
        ).values_list("message_id", "ticket_number")
        for message_id, number in rows:
            numbers.setdefault(message_id, number)
    return next((numbers[mid] for mid in message_ids if mid in numbers), None)


def inbound_ticket_get(*, tenant: Tenant, number: int) -> Ticket | None:
    """Return the tenant's ticket with this number (with its requester), or None."""
    return Ticket.objects.filter(tenant=tenant, number=number).select_related("requester").first()


def inbound_ticket_current(*, tenant: Tenant, ticket: Ticket) -> Ticket:
    """Return the ticket `ticket`'s conversation lives in now: itself, or the ticket it was
    merged into (followed through merges)."""
    for _ in range(_MAX_MERGE_HOPS):
        if ticket.merged_into_id is None:
            break
        target = Ticket.objects.filter(tenant=tenant, pk=ticket.merged_into_id).first()
        if target is None:
            break
        ticket = target
    return ticket


def inbound_original_message_id(*, tenant: Tenant, ticket_number: int) -> str | None:
    """Return the Message-ID of the customer's email that opened the ticket, if one did (our
    emails about the ticket name it in References, so they thread under it)."""
    return (
        InboundEmail.objects.filter(
            tenant=tenant, ticket_number=ticket_number, status=InboundStatus.CREATED
        )
        .exclude(message_id__endswith=f"@{SYNTHETIC_ID_DOMAIN}>")
        .order_by("received_at", "id")
        .values_list("message_id", flat=True)
        .first()
    )
