"""Reading a raw inbound email (RFC 5322 bytes) into what the service needs, or refusing it.

Everything in a message is the sender's to choose, so the reading is defensive: the standard
library's parser (modern `email.policy.default`) never sees more than INBOUND_EMAIL_MAX_BYTES,
every call into it that can fail on malformed input is guarded, and a message that cannot be
read at all is a ValidationError on `message` (400, nothing written). Nothing read here picks
the tenant: that comes from the endpoint (URL and secret) or the ESP's signed envelope.
"""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser

from django.core.exceptions import ValidationError

from notifications.inbound.text import html_to_text, text_clean
from notifications.rendering import header_text
from tenants.validation import email_check

# What the email package raises on malformed input (its own errors, bad charsets and encodings,
# and the odd exception its header parser lets out on adversarial input).
EMAIL_ERRORS = (MessageError, ValueError, LookupError, TypeError, IndexError, AttributeError)

# Message-IDs we make up: for a message that has none (the digest of its bytes, so a redelivery
# is still recognised) or one too long to store (the digest of the id). Never threaded to.
SYNTHETIC_ID_DOMAIN = "inbound.invalid"
MESSAGE_ID_MAX_LENGTH = 255
# Printable ASCII only (RFC 5322 msg-id): no NUL or other control character ever reaches the
# database or the References of our own emails.
_MSG_ID = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,998})>")
_BARE_MSG_ID = re.compile(r"^[\x21-\x3b\x3d\x3f-\x7e]{1,998}$")
_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,18})\]")
# Ids read from In-Reply-To and References (a long thread's References is trimmed).
MAX_REFERENCED_IDS = 50
# Parts of a message kept as attachments; the rest are counted as refused.
MAX_ATTACHMENTS = 20
_MAX_DEPTH = 20  # nesting of multiparts followed
# Text read from a body part before it is converted and cut (the stored text is cut shorter).
_MAX_BODY_CHARS = 1_000_000
NO_SUBJECT = "(no subject)"

_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")


@dataclass(frozen=True)
class InboundAttachment:
    """A part of the message to keep as a ticket attachment (checked by the upload policy)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedEmail:
    """What the service reads from a message. `sender` is None when the From header gave no
    usable address; `sender_problem` then says why (a 400, unless the message is ignored)."""

    message_id: str
    synthetic_id: bool
    sender: str | None
    sender_problem: str | None
    sender_name: str
    subject: str
    text: str
    referenced_ids: list[str]
    subject_number: int | None
    attachments: list[InboundAttachment]
    extra_attachments: int  # parts beyond MAX_ATTACHMENTS
    ignore_reason: str | None  # why the message files nothing (auto-reply, bounce, …)


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
        return None if value is None else str(value)
    except EMAIL_ERRORS:
        return ""  # present, but unreadable


def _headers(message: EmailMessage, name: str) -> list[str]:
    try:
        return [str(value) for value in message.get_all(name, [])]
    except EMAIL_ERRORS:
        return [""]


def _digest_id(kind: str, data: bytes) -> str:
    return f"<{kind}-{hashlib.sha256(data).hexdigest()}@{SYNTHETIC_ID_DOMAIN}>"


def _message_id(message: EmailMessage, raw: bytes) -> tuple[str, bool]:
    value = (_header(message, "Message-ID") or "").strip()
    match = _MSG_ID.search(value)
    if match is not None:
        token = match.group(0)
    elif _BARE_MSG_ID.match(value):
        token = f"<{value}>"
    else:
        return _digest_id("sha256", raw), True
    if len(token) > MESSAGE_ID_MAX_LENGTH:
        return _digest_id("long", token.encode("utf-8", "surrogateescape")), True
    return token, False


def _referenced_ids(message: EmailMessage) -> list[str]:
    """Ids the message answers, newest first: In-Reply-To, then References from its end."""
    in_reply_to = _MSG_ID.findall(_header(message, "In-Reply-To") or "")
    references = _MSG_ID.findall(_header(message, "References") or "")
    ids = [f"<{token}>" for token in [*in_reply_to, *reversed(references)]]
    wanted = [token for token in ids if len(token) <= MESSAGE_ID_MAX_LENGTH]
    return list(dict.fromkeys(wanted))[:MAX_REFERENCED_IDS]


def _sender(message: EmailMessage) -> tuple[str | None, str | None, str]:
    """(address, problem, display name) of the From header."""
    values = _headers(message, "From")
    if not values:
        return None, "The message has no From header.", ""
    if len(values) > 1:
        return None, "The message has several From headers.", ""
    try:
        addresses = message["From"].addresses
    except EMAIL_ERRORS:
        addresses = ()
    if len(addresses) != 1:
        return None, "The From header must name exactly one address.", ""
    address = addresses[0]
    try:
        email = email_check("from", address.addr_spec)
    except ValidationError:
        return None, "The From header holds no valid email address.", ""
    return email, None, header_text(text_clean(address.display_name or ""), limit=200)


def _ignore_reason(message: EmailMessage, sender: str | None) -> str | None:
    """Why the message must file nothing: an automatic reply or a bounce (RFC 3834, 3464)."""
    auto_submitted = _header(message, "Auto-Submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip().lower() != "no":
        return "auto_submitted"
    precedence = (_header(message, "Precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"precedence_{precedence}"
    if any(_header(message, name) is not None for name in _AUTO_REPLY_HEADERS):
        return "auto_reply"
    return_paths = _headers(message, "Return-Path")
    if return_paths and return_paths[0].strip() in ("", "<>"):
        return "null_sender"
    if sender is not None and sender.partition("@")[0] in _BOUNCE_SENDERS:
        return "bounce"
    if message.get_content_type() == "multipart/report":
        return "report"
    return None


def _leaves(part: EmailMessage, depth: int = 0) -> Iterator[EmailMessage]:
    """The non-multipart parts, in order (an attached message is one part)."""
    if part.get_content_maintype() != "multipart":
        yield part
        return
    if depth >= _MAX_DEPTH:
        return
    try:
        children = list(part.iter_parts())
    except EMAIL_ERRORS:
        return
    for child in children:
        yield from _leaves(child, depth + 1)


def _part_text(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except EMAIL_ERRORS:  # an unknown charset, a broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", errors="replace")
    return text if isinstance(text, str) else ""


def _body(message: EmailMessage) -> tuple[str, list[EmailMessage]]:
    """The message's text (its text/plain body, else its HTML body as text) and the parts
    that make it."""
    for preference in ("plain", "html"):
        try:
            part = message.get_body(preferencelist=(preference,))
        except EMAIL_ERRORS:
            part = None
        if part is None:
            continue
        text = _part_text(part)[:_MAX_BODY_CHARS]
        if preference == "html":
            text = html_to_text(text)
        return text_clean(text), [part]
    return "", []


def _attachment_content(part: EmailMessage) -> bytes:
    if part.get_content_maintype() == "message":
        try:
            inner = part.get_payload(0)
            return inner.as_bytes() if isinstance(inner, EmailMessage) else b""
        except EMAIL_ERRORS:
            return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _attachments(
    message: EmailMessage, body_parts: list[EmailMessage]
) -> tuple[list[InboundAttachment], int]:
    found, extra = [], 0
    for part in _leaves(message):
        if any(part is body for body in body_parts):
            continue
        try:
            filename = part.get_filename() or ""
            disposition = part.get_content_disposition()
        except EMAIL_ERRORS:
            filename, disposition = "", None
        if part.get_content_maintype() == "text" and not filename and disposition != "attachment":
            continue  # another rendering of the body (the HTML beside the text)
        if len(found) >= MAX_ATTACHMENTS:
            extra += 1
            continue
        found.append(
            InboundAttachment(
                filename=header_text(filename, limit=255),
                content_type=part.get_content_type(),
                content=_attachment_content(part),
            )
        )
    return found, extra


def inbound_message_parse(raw: bytes) -> ParsedEmail:
    """Read a raw email. Raises ValidationError({"message": …}) when it is not one at all (no
    header fields) or cannot be read."""
    if not isinstance(raw, bytes) or not raw.strip():
        raise ValidationError({"message": "The body is empty: send the raw email (RFC 5322)."})
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except EMAIL_ERRORS as exc:
        raise ValidationError({"message": "The email could not be read."}) from exc
    if not message.keys():
        raise ValidationError({"message": "This is not an email message: it has no header fields."})
    try:
        message_id, synthetic = _message_id(message, raw)
        sender, sender_problem, sender_name = _sender(message)
        subject = header_text(text_clean(_header(message, "Subject") or ""), limit=255)
        subject = subject or NO_SUBJECT
        number = _SUBJECT_NUMBER.search(subject)
        text, body_parts = _body(message)
        attachments, extra = _attachments(message, body_parts)
        ignore_reason = _ignore_reason(message, sender)
        referenced = _referenced_ids(message)
    except EMAIL_ERRORS as exc:
        raise ValidationError({"message": "The email could not be decoded."}) from exc
    return ParsedEmail(
        message_id=message_id,
        synthetic_id=synthetic,
        sender=sender,
        sender_problem=sender_problem,
        sender_name=sender_name,
        subject=subject,
        text=text,
        referenced_ids=referenced,
        subject_number=int(number.group(1)) if number else None,
        attachments=attachments,
        extra_attachments=extra,
        ignore_reason=ignore_reason,
    )
