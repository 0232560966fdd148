"""Who gets what. Registered in NotificationsConfig.ready().

Each handler runs in the publisher's transaction and writes outbox rows (emails) and in-app
notifications there: a rolled-back change notifies no one, a committed one cannot lose its
notifications whatever the broker does (tenants.outbox).

- requester (a customer): ticket received, public reply, resolved. Internal notes never.
- assignee: assigned to you (unless they assigned themselves), customer replied.
- supervisors and above: SLA breach, escalation.
- invitees and new members; account emails (platform rows, no tenant).
"""

from django.utils import timezone

from notifications.inbound.services import inbound_customer_scrub
from notifications.models import (
    AccountEmailKind,
    EmailDelivery,
    EmailKind,
)
from notifications.scheduling import account_email_schedule, email_schedule, members_notify
from tenants import events
from tenants.domain_events import (
    AccountRegistered,
    AccountRegistrationRepeated,
    InvitationCreated,
    InvitationResent,
    MemberAdded,
    PasswordResetRequested,
    WebhookEndpointDisabled,
)
from tenants.events import Envelope
from tenants.models import Membership, User
from tenants.models.outbox import OutboxStatus
from tenants.permissions import roles_with
from tickets.events import (
    CommentCreated,
    CustomerErased,
    TicketAssigned,
    TicketCreated,
    TicketEscalated,
    TicketSlaBreached,
    TicketStatusChanged,
)
from tickets.models import Comment, Customer, Status, Ticket

ERASED_RECIPIENT = "erased@erased.invalid"
ERASED_ERROR = "the customer was erased"

# --- Customers (the requester) ----------------------------------------------------------------


def _requester_email(envelope: Envelope, kind: str, ticket: Ticket, **context) -> None:
    requester = ticket.requester
    if requester.erased_at is not None:
        return
    email_schedule(
        envelope=envelope,
        kind=kind,
        recipient=requester.email,
        customer_id=requester.pk,
        ticket_number=ticket.number,
        context=context,
    )


def _ticket(number: int, envelope: Envelope | None = None) -> Ticket | None:
    source = envelope.source if envelope is not None else None
    if isinstance(source, Ticket) and source.number == number:
        return source  # the publisher's ticket, written in this transaction: no second read
    return Ticket.objects.select_related("requester", "assignee").filter(number=number).first()


def ticket_created(envelope: Envelope) -> None:
    """Tell the requester their request was received."""
    ticket = _ticket(envelope.data["number"], envelope)
    if ticket is not None:
        _requester_email(envelope, EmailKind.TICKET_RECEIVED, ticket)


def ticket_status_changed(envelope: Envelope) -> None:
    """Tell the requester their request was resolved."""
    if envelope.data["status"] != Status.RESOLVED:
        return
    ticket = _ticket(envelope.data["number"])
    if ticket is not None:
        _requester_email(envelope, EmailKind.TICKET_RESOLVED, ticket)


def comment_created(envelope: Envelope) -> None:
    """A team reply goes to the requester; a customer's reply to the assignee. A note
    (public false) reaches no customer."""
    comment = (
        Comment.objects.select_related("ticket__requester", "ticket__assignee")
        .filter(public_id=envelope.data["comment"])
        .first()
    )
    if comment is None:
        return
    ticket = comment.ticket
    if comment.author_customer_id is None:
        if comment.public:
            _requester_email(
                envelope, EmailKind.PUBLIC_REPLY, ticket, comment=str(comment.public_id)
            )
        return
    assignee = _active_members(envelope, [ticket.assignee_id]) if ticket.assignee_id else []
    members_notify(
        envelope=envelope,
        kind=EmailKind.CUSTOMER_REPLIED,
        users=assignee,
        ticket_number=ticket.number,
        title=f"New reply from the customer on #{ticket.number}",
        data={"comment": str(comment.public_id)},
    )


def customer_erased(envelope: Envelope) -> None:
    """Forget an erased customer in the email log: their address, the subjects of emails about
    their tickets (to anyone), the errors that may quote the address; unsent emails to them
    are never sent."""
    customer = Customer.objects.filter(public_id=envelope.data["id"]).first()
    if customer is None:
        return
    now = timezone.now()
    theirs = EmailDelivery.objects.filter(recipient_customer_id=customer.pk)
    theirs.filter(status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SUPPRESSED, last_error=ERASED_ERROR, finished_at=now, updated_at=now
    )
    theirs.exclude(last_error=ERASED_ERROR).update(last_error="")
    theirs.update(recipient=ERASED_RECIPIENT, subject="", updated_at=now)
    EmailDelivery.objects.filter(ticket_number__in=envelope.data["tickets"]).update(subject="")


def inbound_customer_erased(envelope: Envelope) -> None:
    """Forget an erased customer's address in the log of received emails."""
    customer = (
        Customer.objects.select_related("tenant").filter(public_id=envelope.data["id"]).first()
    )
    if customer is not None:
        inbound_customer_scrub(tenant=customer.tenant, customer=customer)


# --- Members ----------------------------------------------------------------------------------


def _active_members(
    envelope: Envelope, user_ids: list[int] | None = None, *, roles: list[str] | None = None
) -> list[User]:
    members = Membership.objects.filter(
        tenant_id=envelope.tenant_id, is_active=True, user__is_active=True
    )
    if user_ids is not None:
        members = members.filter(user_id__in=user_ids)
    if roles is not None:
        members = members.filter(role__in=roles)
    return [m.user for m in members.select_related("user").order_by("user_id")]


def ticket_assigned(envelope: Envelope) -> None:
    """Tell the new assignee (unless they took the ticket themselves)."""
    assignee = envelope.data["assignee"]
    if assignee is None or envelope.actor.get("id") == assignee:
        return
    user = User.objects.filter(public_id=assignee).first()
    users = _active_members(envelope, [user.pk]) if user is not None else []
    number = envelope.data["number"]
    members_notify(
        envelope=envelope,
        kind=EmailKind.ASSIGNED_TO_YOU,
        users=users,
        ticket_number=number,
        title=f"Ticket #{number} was assigned to you",
        data={"priority": envelope.data["priority"]},
    )


def _supervisors(envelope: Envelope) -> list[User]:
    return _active_members(envelope, roles=roles_with("ticket.escalations"))


def ticket_sla_breached(envelope: Envelope) -> None:
    """Tell supervisors a ticket missed an SLA target."""
    number, target = envelope.data["number"], envelope.data["target"].replace("_", " ")
    members_notify(
        envelope=envelope,
        kind=EmailKind.SLA_BREACHED,
        users=_supervisors(envelope),
        ticket_number=number,
        title=f"Ticket #{number} missed its {target} target",
        data={"target": target, "due_at": envelope.data["due_at"]},
    )


def ticket_escalated(envelope: Envelope) -> None:
    """Tell supervisors a ticket was escalated."""
    number = envelope.data["number"]
    members_notify(
        envelope=envelope,
        kind=EmailKind.TICKET_ESCALATED,
        users=_supervisors(envelope),
        ticket_number=number,
        title=f"Ticket #{number} was escalated to {envelope.data['priority']}",
        data={
            "escalation_level": envelope.data["escalation_level"],
            "reason": envelope.data["reason"].replace("_", " "),
        },
    )


def webhook_endpoint_disabled(envelope: Envelope) -> None:
    """Tell the admins (who manage webhooks) that Tenantdesk switched an endpoint off."""
    host, reason = envelope.data["host"], envelope.data["reason"]
    members_notify(
        envelope=envelope,
        kind=EmailKind.WEBHOOK_DISABLED,
        users=_active_members(envelope, roles=roles_with("webhook.manage")),
        ticket_number=None,
        title=f"Webhook endpoint {host} was disabled ({reason})",
        data={"endpoint": envelope.data["endpoint"], "host": host, "reason": reason},
    )


def invitation_pending(envelope: Envelope) -> None:
    """Email an invitee their link, on a new invitation and on every resend (the token is
    minted when the email is sent)."""
    from tenants.models import Invitation

    invitation = Invitation.objects.filter(
        tenant_id=envelope.tenant_id, public_id=envelope.data["invitation"]
    ).first()
    if invitation is None:
        return
    email_schedule(
        envelope=envelope,
        kind=EmailKind.INVITATION,
        recipient=invitation.email,
        context={"invitation": str(invitation.public_id)},
    )


def member_added(envelope: Envelope) -> None:
    """Welcome a new member to the tenant."""
    user = User.objects.filter(public_id=envelope.data["user"], is_active=True).first()
    if user is not None:
        email_schedule(
            envelope=envelope, kind=EmailKind.MEMBER_ADDED, recipient=user.email, user=user
        )


# --- Accounts (platform) ----------------------------------------------------------------------


def account_registered(envelope: Envelope) -> None:
    """Send a new account its verification link."""
    account_email_schedule(
        envelope=envelope, kind=AccountEmailKind.VERIFICATION, user_id=envelope.data["user_id"]
    )


def registration_repeated(envelope: Envelope) -> None:
    """Tell an account holder that someone tried to register their address."""
    account_email_schedule(
        envelope=envelope,
        kind=AccountEmailKind.REGISTRATION_ATTEMPT,
        user_id=envelope.data["user_id"],
    )


def password_reset_requested(envelope: Envelope) -> None:
    """Send a password-reset link (if an account uses the address, checked at send time)."""
    account_email_schedule(
        envelope=envelope, kind=AccountEmailKind.PASSWORD_RESET, recipient=envelope.data["email"]
    )


SUBSCRIPTIONS = (
    (AccountRegistered, account_registered),
    (AccountRegistrationRepeated, registration_repeated),
    (PasswordResetRequested, password_reset_requested),
    (InvitationCreated, invitation_pending),
    (InvitationResent, invitation_pending),
    (MemberAdded, member_added),
    (TicketCreated, ticket_created),
    (TicketStatusChanged, ticket_status_changed),
    (TicketAssigned, ticket_assigned),
    (CommentCreated, comment_created),
    (CustomerErased, customer_erased),
    (TicketSlaBreached, ticket_sla_breached),
    (TicketEscalated, ticket_escalated),
    (WebhookEndpointDisabled, webhook_endpoint_disabled),
    # --- Inbound email
    (CustomerErased, inbound_customer_erased),
)


def connect() -> None:
    """Subscribe every handler above (idempotent)."""
    for event, handler in SUBSCRIPTIONS:
        events.subscribe(event)(handler)
