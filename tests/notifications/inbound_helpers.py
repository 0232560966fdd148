"""Helpers for the inbound email tests: raw emails built with the standard library, the
endpoint and the service called the way the application calls them, and what they stored."""

import itertools
from email.message import EmailMessage

from rest_framework.test import APIClient

from notifications.inbound.services import inbound_email_receive, inbound_secret_rotate
from notifications.models import InboundEmail
from tenants.access import Actor
from tenants.context import tenant_context
from tickets.models import Attachment, Comment, Customer, Ticket

_ids = itertools.count(1)
ANN = "Ann Example <ann@example.test>"


def message_id() -> str:
    """A fresh Message-ID, as a customer's mail client makes them."""
    return f"<m{next(_ids)}.x@mail.example.test>"


def email(
    *,
    sender: str | None = ANN,
    subject: str = "Printer on fire",
    text: str | None = "The printer on floor 3 is on fire.",
    html: str | None = None,
    msgid: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    to: str = "support+alpha@tenantdesk.local",
) -> bytes:
    """A raw email (RFC 5322 bytes): a text part, an HTML part (alongside, or alone when text
    is None), attachments as (filename, content type, bytes), extra headers."""
    message = EmailMessage()
    if sender is not None:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = msgid or message_id()
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        if maintype == "text":
            message.add_attachment(content.decode(), subtype=subtype, filename=filename)
        else:
            message.add_attachment(content, maintype, subtype, filename=filename)
    return message.as_bytes()


def secret_for(tenant) -> str:
    """Give `tenant` an inbound secret; return it."""
    with tenant_context(tenant):
        _, secret = inbound_secret_rotate(tenant=tenant, actor=Actor())
    return secret


def post_email(tenant, raw: bytes, *, secret: str | None, client: APIClient | None = None):
    """POST a raw email to the tenant's inbound endpoint with `secret`."""
    client = client or APIClient()
    headers = {} if secret is None else {"HTTP_AUTHORIZATION": f"Inbound-Secret {secret}"}
    return client.generic(
        "POST",
        f"/api/v1/t/{getattr(tenant, 'slug', tenant)}/inbound-email/",
        raw,
        "message/rfc822",
        **headers,
    )


def receive(tenant, raw: bytes, **kwargs):
    """Call the receive service inside the tenant (as the ESP handler does)."""
    with tenant_context(tenant):
        return inbound_email_receive(tenant=tenant, raw=raw, **kwargs)


def inbound_rows(tenant) -> list[InboundEmail]:
    with tenant_context(tenant):
        return list(InboundEmail.objects.order_by("id"))


def tickets_of(tenant) -> list[Ticket]:
    with tenant_context(tenant):
        return list(Ticket.objects.select_related("requester").order_by("number"))


def comments_on(tenant, number: int) -> list[Comment]:
    with tenant_context(tenant):
        return list(
            Comment.objects.filter(ticket__number=number)
            .select_related("author_customer")
            .order_by("id")
        )


def attachments_of(tenant) -> list[Attachment]:
    with tenant_context(tenant):
        return list(Attachment.objects.select_related("ticket", "comment").order_by("id"))


def customers_of(tenant) -> list[Customer]:
    with tenant_context(tenant):
        return list(Customer.objects.order_by("id"))


def written(tenant) -> dict[str, int]:
    """How many rows the inbound path can write the tenant has: a before/after fingerprint."""
    with tenant_context(tenant):
        return {
            "inbound": InboundEmail.objects.count(),
            "tickets": Ticket.objects.count(),
            "comments": Comment.objects.count(),
            "customers": Customer.objects.count(),
            "attachments": Attachment.objects.count(),
        }
