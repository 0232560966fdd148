"""Email messages from templates: text + HTML, the tenant's name and reply-to address, and
the headers that let replies thread (Message-ID, In-Reply-To, References).

Headers get tenant- or customer-controlled text only through `header_text` (one line, no
control characters, bounded) and addresses only through `formataddr`, which quotes a display
name; Django then encodes non-ASCII (RFC 2047) and refuses any line break left.
"""

import re
import unicodedata
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def header_text(text: str, *, limit: int = 150) -> str:
    """`text` fit for a header: one line, no control or format characters, at most `limit`."""
    text = _CONTROL.sub(" ", str(text))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str, *, limit: int = 200) -> str:
    """`text` on one line for a plain-text body (a name cannot fake a paragraph)."""
    return header_text(text, limit=limit)


def msgid(local: str) -> str:
    """A Message-ID in our domain."""
    return f"<{local}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


def ticket_thread_id(ticket) -> str:
    """The id every email about `ticket` refers to: mail clients thread them together, and a
    reply quoting it finds the ticket again (inbound email)."""
    return msgid(f"ticket-{ticket.public_id}")


def sender(display_name: str) -> str:
    """The From address: our sending address, shown under the tenant's name."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return formataddr((header_text(display_name, limit=80), address))


def tenant_reply_to(tenant) -> str:
    """Where the tenant's customers reply (the inbound address mapped to the tenant)."""
    address = settings.INBOUND_EMAIL_ADDRESS.format(slug=tenant.slug)
    return formataddr((header_text(tenant.name, limit=80), address))


def build(
    *,
    kind: str,
    subject: str,
    context: dict,
    to: str,
    from_name: str,
    message_id: str,
    reply_to: str | None = None,
    thread: list[str] | None = None,
) -> EmailMultiAlternatives:
    """The message for `kind` (templates notifications/email/<kind>.txt and .html)."""
    subject = header_text(subject, limit=200)
    context = {**context, "subject": subject}
    text = render_to_string(f"notifications/email/{kind}.txt", context)
    html = render_to_string(f"notifications/email/{kind}.html", context)
    headers = {
        "Message-ID": message_id,
        # Notifications are automatic: auto-responders must not answer them (RFC 3834).
        "Auto-Submitted": "auto-generated",
    }
    if thread:
        headers["In-Reply-To"] = thread[-1]
        headers["References"] = " ".join(thread)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender(from_name),
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message
