"""Inbound email, the email channel: one service files every received message, whichever way
it came (the raw-MIME endpoint or an ESP's webhook); the endpoint's secret.

What a message becomes (docs/email.md says it for users):
- nothing, when it is an automatic reply or a bounce (Auto-Submitted other than "no",
  Precedence bulk/junk/list, X-Autoreply/X-Autorespond, a null Return-Path, mail from
  MAILER-DAEMON or postmaster, a multipart/report), or spam by the ESP's verdict: `ignored`
  with the reason. Nothing answers it, so no mail loop can start.
- nothing again, when its Message-ID was received before in this tenant: `duplicate`.
- a public comment of the customer on the ticket it answers (`replied`), found by the ids it
  answers (In-Reply-To, References: a ticket's thread id, an email we sent about it, an email
  the customer sent about it), else by `[#<number>]` in its subject — only when the sender
  (From) is that ticket's requester. Anyone else who names a ticket (a colleague in copy, a
  forged reply) cannot write into someone else's conversation: their message opens a ticket
  of their own (reason `not_the_requester`). A ticket merged into another takes the reply in
  the ticket it was merged into. The quoted history below the reply is cut off.
- a follow-up ticket (`created`, `follow_up_of`) when the ticket it answers is closed (closed
  is final): same requester, linked by Ticket.follow_up_of.
- otherwise a new ticket (`created`, channel email) for the customer with the sender's
  address, created if there is none (an erased customer no longer has the address, so a new
  one is created).
Attachments go through the shared upload policy (tickets.files); one it refuses is left out
and named in a note at the end of the text, never losing the message.
"""

import hmac
import logging
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import NotFoundError
from notifications.inbound import selectors
from notifications.inbound.parsing import (
    MAX_ATTACHMENTS,
    InboundAttachment,
    ParsedEmail,
    inbound_message_parse,
)
from notifications.inbound.text import quoted_history_strip, text_truncate
from notifications.models import InboundEmail, InboundSecret, InboundStatus
from notifications.rendering import one_line
from tenants.access import SYSTEM, Actor
from tenants.models import Tenant
from tenants.services import audit_log_record
from tenants.tokens import secret_digest
from tenants.validation import boolean_check, fields_clean, text_check
from tickets import workflow
from tickets.exceptions import TicketClosedError
from tickets.files import upload_check
from tickets.models import Channel, Comment, Customer, Ticket
from tickets.selectors import customer_get_for_update
from tickets.services import attachment_create, comment_create, ticket_create
from tickets.validation import COMMENT_BODY_MAX_LENGTH, DESCRIPTION_MAX_LENGTH

logger = logging.getLogger(__name__)

INBOUND_SECRET_PREFIX = "tdi"  # noqa: S105 (a prefix, not a secret)
# Longer than any secret we mint; anything longer is not worth hashing.
INBOUND_SECRET_MAX_LENGTH = 200
NO_TEXT = "(This email had no text.)"
# Compared against when the tenant has no secret, so both refusals take the same time.
_NO_SECRET = secret_digest(secrets.token_urlsafe(32))


# --- The secret -----------------------------------------------------------------------------


@transaction.atomic
def inbound_secret_rotate(*, tenant: Tenant, actor: Actor) -> tuple[InboundSecret, str]:
    """Create the tenant's inbound secret, or replace it (the old one stops working at once);
    return the row and the secret, which is never stored (only its SHA-256) nor shown again.
    Audit-logged without the secret."""
    raw = f"{INBOUND_SECRET_PREFIX}_{secrets.token_urlsafe(32)}"
    row, created = InboundSecret.objects.update_or_create(
        tenant=tenant,
        defaults={
            "secret_hash": secret_digest(raw),
            "created_by": actor.user,
            "created_at": timezone.now(),
        },
    )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="inbound_secret.created" if created else "inbound_secret.rotated",
        target_type="inbound_secret",
        target_id=str(row.public_id),
    )
    return row, raw


def inbound_secret_check(*, tenant: Tenant, secret: object) -> bool:
    """Return whether `secret` is the tenant's inbound secret (constant-time comparison of
    digests; a tenant without a secret accepts none)."""
    if (
        not isinstance(secret, str)
        or not 0 < len(secret) <= INBOUND_SECRET_MAX_LENGTH
        or not (secret.isascii() and secret.isprintable())
    ):
        return False
    row = selectors.inbound_secret_get(tenant=tenant)
    expected = row.secret_hash if row is not None else _NO_SECRET
    return hmac.compare_digest(expected, secret_digest(secret)) and row is not None


# --- Receiving ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundResult:
    """What became of a received email."""

    result: str  # created | replied | ignored | duplicate
    ticket: int | None = None
    follow_up_of: int | None = None
    reason: str = ""
    attachments_kept: int = 0
    attachments_refused: int = 0


def _claim(*, tenant: Tenant, message_id: str, source: str) -> InboundEmail | None:
    """Record the message as received; None when its Message-ID already was (a concurrent
    delivery of the same message waits here for the first one's outcome)."""
    try:
        with transaction.atomic():
            return InboundEmail.objects.create(tenant=tenant, message_id=message_id, source=source)
    except IntegrityError:
        return None


def _finish(record: InboundEmail, result: InboundResult, **fields) -> InboundResult:
    record.status = {"created": InboundStatus.CREATED, "replied": InboundStatus.REPLIED}.get(
        result.result, InboundStatus.IGNORED
    )
    record.reason = result.reason
    record.ticket_number = result.ticket
    record.attachments_kept = result.attachments_kept
    record.attachments_refused = result.attachments_refused
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(
        update_fields=[
            "status",
            "reason",
            "ticket_number",
            "attachments_kept",
            "attachments_refused",
            *fields,
        ]
    )
    logger.info(
        "inbound email %s",
        result.result,
        extra={"inbound_email": str(record.public_id), "ticket": result.ticket},
    )
    return result


def _duplicate(*, tenant: Tenant, message_id: str) -> InboundResult:
    first = InboundEmail.objects.filter(tenant=tenant, message_id=message_id).first()
    return InboundResult("duplicate", ticket=first.ticket_number if first else None)


@dataclass(frozen=True)
class _Attachments:
    kept: list[InboundAttachment]
    refused: int
    notes: list[str]


def _attachments_check(parsed: ParsedEmail) -> _Attachments:
    """Sort the message's attachments by the upload policy before anything is written, so the
    text can say which ones were left out."""
    kept, notes = [], []
    for attachment in parsed.attachments:
        name = attachment.filename or "(unnamed)"
        try:
            upload_check(
                name=attachment.filename,
                content_type=attachment.content_type,
                file=ContentFile(attachment.content),
            )
        except ValidationError as exc:
            reason = "; ".join(exc.message_dict.get("file", exc.messages))
            notes.append(f"[Attachment not kept: {one_line(name, limit=120)} ({reason})]")
        else:
            kept.append(attachment)
    refused = len(parsed.attachments) - len(kept) + parsed.extra_attachments
    if parsed.extra_attachments:
        notes.append(
            f"[{parsed.extra_attachments} more attachment(s) not kept: an email keeps at most "
            f"{MAX_ATTACHMENTS}.]"
        )
    return _Attachments(kept=kept, refused=refused, notes=notes)


def _text(text: str, notes: list[str], *, limit: int) -> str:
    """The stored text: the email's text (cut to fit) and the notes about left-out files."""
    tail = "\n\n".join(notes)
    room = limit - (len(tail) + 2 if tail else 0)
    body = text_truncate(text, limit=max(room, 0))
    return "\n\n".join(part for part in (body, tail) if part)


def _attach(
    *, tenant: Tenant, actor: Actor, ticket: Ticket, comment: Comment | None, checked: _Attachments
) -> tuple[int, int]:
    kept = 0
    for attachment in checked.kept:
        try:
            attachment_create(
                tenant=tenant,
                actor=actor,
                ticket=ticket,
                file=ContentFile(attachment.content, name=attachment.filename or "attachment"),
                filename=attachment.filename,
                content_type=attachment.content_type,
                comment=comment,
                from_customer=True,
            )
        except ValidationError:  # passed the policy a moment ago; never loses the message
            continue
        kept += 1
    return kept, checked.refused + len(checked.kept) - kept


def _requester_of(*, tenant: Tenant, ticket: Ticket, sender: str) -> Customer | None:
    """The sender as the ticket's requester, locked (FOR NO KEY UPDATE, as every write that
    attaches data to a customer), or None when the sender is someone else. Under the lock an
    erasure or an email change of the customer cannot slip between this check and the write."""
    try:
        customer = customer_get_for_update(tenant=tenant, email=sender, no_key=True)
    except NotFoundError:
        return None
    if customer.pk != ticket.requester_id or customer.erased_at is not None:
        return None
    return customer


def _ticket_open(
    *,
    tenant: Tenant,
    actor: Actor,
    parsed: ParsedEmail,
    checked: _Attachments,
    requester: Customer | None = None,
    follow_up_of: Ticket | None = None,
    reason: str = "",
) -> tuple[InboundResult, Customer]:
    text = quoted_history_strip(parsed.text) if follow_up_of is not None else parsed.text
    ticket = ticket_create(
        tenant=tenant,
        actor=actor,
        subject=parsed.subject,
        description=_text(text, checked.notes, limit=DESCRIPTION_MAX_LENGTH),
        channel=Channel.EMAIL,
        follow_up_of=follow_up_of,
        **(
            {"requester": requester}
            if requester is not None
            else {"customer_email": parsed.sender, "customer_name": parsed.sender_name}
        ),
    )
    kept, refused = _attach(
        tenant=tenant, actor=actor, ticket=ticket, comment=None, checked=checked
    )
    result = InboundResult(
        "created",
        ticket=ticket.number,
        follow_up_of=ticket.follow_up_of,
        reason=reason,
        attachments_kept=kept,
        attachments_refused=refused,
    )
    return result, ticket.requester


def _reply(
    *,
    tenant: Tenant,
    actor: Actor,
    parsed: ParsedEmail,
    checked: _Attachments,
    ticket: Ticket,
    customer: Customer,
) -> InboundResult:
    """The customer's comment on `ticket`; raises TicketClosedError when it closed meanwhile."""
    body = _text(quoted_history_strip(parsed.text), checked.notes, limit=COMMENT_BODY_MAX_LENGTH)
    comment = comment_create(
        tenant=tenant,
        actor=actor,
        ticket=ticket,
        body=body if body.strip() else NO_TEXT,
        public=True,
        author_customer=customer,
    )
    kept, refused = _attach(
        tenant=tenant, actor=actor, ticket=ticket, comment=comment, checked=checked
    )
    return InboundResult(
        "replied", ticket=ticket.number, attachments_kept=kept, attachments_refused=refused
    )


def _file(*, tenant: Tenant, actor: Actor, parsed: ParsedEmail) -> tuple[InboundResult, Customer]:
    """File a message that is neither ignored nor a duplicate (see the module docstring)."""
    checked = _attachments_check(parsed)
    number = selectors.inbound_ticket_number_for_ids(
        tenant=tenant, message_ids=parsed.referenced_ids
    )
    if number is None:
        number = parsed.subject_number
    answered = selectors.inbound_ticket_get(tenant=tenant, number=number) if number else None
    if answered is None:
        return _ticket_open(tenant=tenant, actor=actor, parsed=parsed, checked=checked)
    # Customers are locked before tickets (the one lock order); the requester never changes.
    customer = _requester_of(tenant=tenant, ticket=answered, sender=parsed.sender)
    if customer is None:
        return _ticket_open(
            tenant=tenant, actor=actor, parsed=parsed, checked=checked, reason="not_the_requester"
        )
    ticket = selectors.inbound_ticket_current(tenant=tenant, ticket=answered)
    if not workflow.is_final(ticket.status):
        try:
            return (
                _reply(
                    tenant=tenant,
                    actor=actor,
                    parsed=parsed,
                    checked=checked,
                    ticket=ticket,
                    customer=customer,
                ),
                customer,
            )
        except TicketClosedError:  # closed after we read it: the same as closed before
            pass
    return _ticket_open(
        tenant=tenant,
        actor=actor,
        parsed=parsed,
        checked=checked,
        requester=customer,
        follow_up_of=ticket,
    )


_SOURCE_RULE = {"source": lambda field, value: text_check(field, value, max_length=32, blank=False)}


@transaction.atomic
def inbound_email_receive(
    *,
    tenant: Tenant,
    raw: bytes,
    source: str = "raw",
    envelope_sender: str | None = None,
    spam: bool = False,
    actor: Actor = SYSTEM,
) -> InboundResult:
    """File one received email (raw RFC 5322 bytes) in `tenant`: a new ticket, a reply on the
    ticket it answers, a follow-up of a closed one, or nothing (an automatic reply, a bounce,
    spam, a message received before). See the module docstring for the rules.

    `tenant` comes from the caller's own mapping (the endpoint's URL and secret, the ESP's
    envelope recipient), never from the message. `envelope_sender` is the SMTP MAIL FROM when
    the caller knows it ("" is the null sender of a bounce); `spam` is the ESP's verdict.
    Raises ValidationError — `message` (not an email, unreadable), `from` (no usable sender
    address) — before anything is written.
    """
    fields_clean({"source": source}, _SOURCE_RULE)
    boolean_check("spam", spam)
    parsed = inbound_message_parse(raw)
    reason = parsed.ignore_reason
    if reason is None and envelope_sender is not None and not envelope_sender.strip(" <>"):
        reason = "null_sender"
    if reason is None and spam:
        reason = "spam"
    if reason is None and parsed.sender is None:
        raise ValidationError({"from": parsed.sender_problem})
    record = _claim(tenant=tenant, message_id=parsed.message_id, source=source)
    if record is None:
        return _duplicate(tenant=tenant, message_id=parsed.message_id)
    if reason is not None:
        return _finish(record, InboundResult("ignored", reason=reason))
    result, customer = _file(tenant=tenant, actor=actor, parsed=parsed)
    return _finish(record, result, sender=customer.email, customer_id=customer.pk)


def inbound_customer_scrub(*, tenant: Tenant, customer: Customer) -> int:
    """Forget an erased customer's address in the log of received emails; return how many
    rows had it."""
    return InboundEmail.objects.filter(tenant=tenant, customer_id=customer.pk).update(sender="")
