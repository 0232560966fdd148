"""Delivering an email outbox row: `prepare` (inside the tenant, in the claim's transaction)
re-checks that the email should still go and renders it from the current data; `send` hands
it to the providers. Both report through the outbox's outcomes (Skip, PermanentError,
TransientError)."""

from django.core.mail import EmailMessage

from notifications import providers
from notifications.emails import account_email_build, invitation_email_build
from notifications.inbound.selectors import inbound_original_message_id
from notifications.models import AccountEmail, EmailDelivery, EmailKind, EmailSuppression
from notifications.rendering import build, one_line, tenant_reply_to, ticket_thread_id
from notifications.tracking import metadata_for
from tenants.models import Membership, Tenant
from tenants.outbox import Skip
from tickets.models import Channel, Comment, Ticket

CUSTOMER_KINDS = (EmailKind.TICKET_RECEIVED, EmailKind.PUBLIC_REPLY, EmailKind.TICKET_RESOLVED)

SUBJECTS = {
    EmailKind.TICKET_RECEIVED: "[#{number}] Received: {subject}",
    EmailKind.PUBLIC_REPLY: "[#{number}] Re: {subject}",
    EmailKind.TICKET_RESOLVED: "[#{number}] Resolved: {subject}",
    EmailKind.ASSIGNED_TO_YOU: "[#{number}] Assigned to you: {subject}",
    EmailKind.CUSTOMER_REPLIED: "[#{number}] Customer reply: {subject}",
    EmailKind.SLA_BREACHED: "[#{number}] SLA breached: {subject}",
    EmailKind.TICKET_ESCALATED: "[#{number}] Escalated: {subject}",
}
WEB_RECEIVED_SUBJECT = "[#{number}] We received your request"


def _name(person) -> str:
    if person is None:
        return ""
    return one_line(person.name) or person.email


def _ticket(row: EmailDelivery) -> Ticket:
    ticket = (
        Ticket.objects.select_related("requester", "assignee")
        .filter(number=row.ticket_number)
        .first()
    )
    if ticket is None:
        raise Skip("the ticket was deleted")
    return ticket


def _comment(row: EmailDelivery, ticket: Ticket) -> Comment:
    comment = (
        Comment.objects.select_related("author_user", "author_customer")
        .filter(public_id=row.context.get("comment"), ticket=ticket)
        .first()
    )
    if comment is None:
        raise Skip("the comment was deleted or moved")
    return comment


def _ticket_email(row: EmailDelivery, tenant: Tenant) -> EmailMessage:
    ticket = _ticket(row)
    requester = ticket.requester
    context = {
        "tenant_name": one_line(tenant.name),
        "ticket_number": ticket.number,
        "ticket_subject": one_line(ticket.subject),
        "ticket_status": ticket.get_status_display().lower(),
        "ticket_priority": ticket.priority,
        "requester_name": _name(requester),
        **{key: value for key, value in row.context.items() if key != "comment"},
    }
    if row.kind in CUSTOMER_KINDS:
        if requester.erased_at is not None or requester.pk != row.recipient_customer_id:
            raise Skip("the recipient is no longer the ticket's requester")
        if requester.email != row.recipient:  # the address was corrected meanwhile
            row.recipient = requester.email
            row.save(update_fields=["recipient"])
    elif not Membership.objects.filter(
        tenant=tenant, user_id=row.recipient_user_id, is_active=True
    ).exists():
        raise Skip("the recipient is no longer a member")
    else:
        context["recipient_name"] = _name(row.recipient_user)
    if row.kind in (EmailKind.PUBLIC_REPLY, EmailKind.CUSTOMER_REPLIED):
        comment = _comment(row, ticket)
        if row.kind == EmailKind.PUBLIC_REPLY and not comment.public:
            raise Skip("an internal note is never emailed to a customer")
        context["comment_body"] = comment.body
        context["author_name"] = _name(comment.author_user or comment.author_customer)
    subject = SUBJECTS[row.kind].format(number=ticket.number, subject=one_line(ticket.subject))
    if row.kind == EmailKind.TICKET_RECEIVED and ticket.channel == Channel.WEB:
        # Anyone may submit the help center's form with anyone's address: the receipt repeats
        # none of the submitter's words (no subject, no name), so it cannot carry their spam.
        subject = WEB_RECEIVED_SUBJECT.format(number=ticket.number)
        context["web_form"] = True
    return build(
        kind=row.kind,
        subject=subject,
        context=context,
        to=row.recipient,
        from_name=tenant.name,
        message_id=row.message_id,
        reply_to=tenant_reply_to(tenant) if row.kind in CUSTOMER_KINDS else None,
        thread=_thread(tenant, ticket),
    )


def _thread(tenant: Tenant, ticket: Ticket) -> list[str]:
    """The ids an email about `ticket` refers to, oldest first: the customer's email that
    opened it (when one did), then the ticket's thread id."""
    original = inbound_original_message_id(tenant=tenant, ticket_number=ticket.number)
    return [*([original] if original else []), ticket_thread_id(ticket)]


def email_delivery_prepare(row: EmailDelivery) -> EmailMessage:
    """Check that `row` should still be sent and render it (inside its tenant)."""
    tenant = Tenant.objects.get(pk=row.tenant_id)
    if not tenant.is_active:
        raise Skip("the tenant is deactivated")
    suppression = EmailSuppression.objects.filter(email=row.recipient).first()
    if suppression is not None:
        raise Skip(f"the address is suppressed ({suppression.reason})")
    if row.kind == EmailKind.INVITATION:
        message = invitation_email_build(row=row, tenant=tenant)
    elif row.kind == EmailKind.MEMBER_ADDED:
        message = _member_added(row, tenant)
    elif row.kind == EmailKind.WEBHOOK_DISABLED:
        message = _webhook_disabled(row, tenant)
    else:
        message = _ticket_email(row, tenant)
    row.subject = message.subject[:255]
    row.save(update_fields=["subject"])
    # Through an ESP (anymail), its tracking events come back with these.
    message.metadata = metadata_for(row, tenant)
    message.tags = [row.kind]
    return message


def _member_added(row: EmailDelivery, tenant: Tenant) -> EmailMessage:
    membership = (
        Membership.objects.filter(tenant=tenant, user_id=row.recipient_user_id, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Skip("the recipient is no longer a member")
    return build(
        kind=EmailKind.MEMBER_ADDED,
        subject="You joined a workspace on Tenantdesk",
        context={
            "tenant_name": one_line(tenant.name),
            "recipient_name": _name(membership.user),
            "role": membership.role,
        },
        to=row.recipient,
        from_name="Tenantdesk",
        message_id=row.message_id,
    )


def _webhook_disabled(row: EmailDelivery, tenant: Tenant) -> EmailMessage:
    membership = (
        Membership.objects.filter(tenant=tenant, user_id=row.recipient_user_id, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Skip("the recipient is no longer a member")
    reason = {
        "gone": "it answered 410 Gone (the receiver says it no longer exists)",
        "failing": "its deliveries kept failing for days",
    }.get(row.context.get("reason", ""), "its deliveries kept failing")
    return build(
        kind=EmailKind.WEBHOOK_DISABLED,
        subject=f"Webhook endpoint disabled: {one_line(row.context.get('host', ''))}",
        context={
            "tenant_name": one_line(tenant.name),
            "recipient_name": _name(membership.user),
            "host": one_line(row.context.get("host", "")),
            "reason": reason,
        },
        to=row.recipient,
        from_name="Tenantdesk",
        message_id=row.message_id,
    )


def email_send(row, message: EmailMessage) -> dict:
    """Send a prepared message; the fields to record on the row (who sent it, their id)."""
    provider, provider_message_id = providers.send(message)
    return {"provider": provider, "provider_message_id": provider_message_id[:255]}


def account_email_prepare(row: AccountEmail) -> EmailMessage:
    """Render a platform account email (the link token is minted here)."""
    message = account_email_build(row)
    row.subject = message.subject[:255]
    row.save(update_fields=["subject"])
    return message
