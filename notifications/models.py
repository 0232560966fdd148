"""What the notifications app stores: emails to send (outbox rows, tenant and platform),
in-app notifications, members' preferences and the per-tenant suppression list."""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tenants.models import TenantModel, User, historical_reference
from tenants.models.outbox import OutboxRow, TenantOutboxRow, outbox_indexes


class EmailKind(models.TextChoices):
    """Which email: each has its templates under templates/notifications/email/."""

    TICKET_RECEIVED = "ticket_received"  # requester: we got your request
    PUBLIC_REPLY = "public_reply"  # requester: an agent replied
    TICKET_RESOLVED = "ticket_resolved"  # requester: solved
    ASSIGNED_TO_YOU = "assigned_to_you"  # assignee
    CUSTOMER_REPLIED = "customer_replied"  # assignee
    SLA_BREACHED = "sla_breached"  # supervisors
    TICKET_ESCALATED = "ticket_escalated"  # supervisors
    INVITATION = "invitation"  # invitee (token minted at send time)
    MEMBER_ADDED = "member_added"  # the new member
    WEBHOOK_DISABLED = "webhook_disabled"  # admins: an endpoint was switched off


class EmailDelivery(TenantOutboxRow):
    """One email about one event to one recipient, in a tenant; delivered by the outbox.

    Content is rendered when it is sent, from the current data (an erased customer's text is
    never sent from a stale copy); the row keeps ids, the subject as sent and the provider's
    receipt. `message_id` is fixed when the row is written, so a retry is the same message
    and replies thread to it.
    """

    event_id = models.UUIDField()  # the envelope id: with kind and recipient, the dedupe key
    event_type = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    recipient = models.EmailField(max_length=254)
    recipient_user = historical_reference(User)
    # The customer the email goes to (its address is scrubbed when the customer is erased).
    recipient_customer_id = models.BigIntegerField(null=True, blank=True)
    ticket_number = models.BigIntegerField(null=True, blank=True)
    context = models.JSONField(default=dict, blank=True)  # ids only (a comment's id)
    message_id = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True)
    provider = models.CharField(max_length=64, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    # What the provider reported after accepting it (delivered, bounced, complained, …),
    # from its tracking webhook.
    tracking_status = models.CharField(max_length=16, blank=True)
    tracking_at = models.DateTimeField(null=True, blank=True)

    outbox_task = "notifications.tasks.email_delivery_send_task"

    class Meta(TenantOutboxRow.Meta):
        constraints = [
            *TenantOutboxRow.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "event_id", "kind", "recipient"],
                name="notifications_email_dedupe_uniq",
            ),
        ]
        indexes = [
            *outbox_indexes("notif_email"),
            models.Index(fields=["tenant", "-created_at"], name="notif_email_time_idx"),
            models.Index(fields=["tenant", "message_id"], name="notif_email_msgid_idx"),
            models.Index(
                fields=["tenant", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="notif_email_provider_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.status})"


class AccountEmailKind(models.TextChoices):
    VERIFICATION = "verification"
    REGISTRATION_ATTEMPT = "registration_attempt"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind, not a secret)


class AccountEmail(OutboxRow):
    """An account email of the platform (no tenant: the person may belong to none yet).

    The link token is minted when the email is sent, never stored; a password reset keeps the
    address that was asked for and finds the account at send time (an unknown address ends
    `suppressed`), so the request takes the same path whether the account exists or not.
    """

    public_id = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    event_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=32, choices=AccountEmailKind.choices)
    user = historical_reference(User, db_index=True)  # a platform table: no tenant_id
    recipient = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    provider = models.CharField(max_length=64, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)

    outbox_task = "notifications.tasks.account_email_send_task"
    # A reset asked for any address is kept here: a week, then gone.
    outbox_retention_days = 7

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notif_account_due_idx",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(status="sending"),
                name="notif_account_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.status})"


class Notification(TenantModel):
    """An in-app notification for one member. Title and data carry numbers and ids, never a
    customer's text (the client reads the ticket)."""

    # No database constraint: users are global and outlive nothing here (RLS would hide
    # these rows from a cascade anyway); a deleted user's rows are simply never read.
    user = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # (tenant_id, user_id, …) indexes below cover it
        related_name="+",
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    ticket_number = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "user", "event_id", "kind"], name="notifications_inapp_dedupe"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "user", "-created_at"], name="notif_inapp_user_idx"),
            models.Index(
                fields=["tenant", "user"],
                condition=Q(read_at__isnull=True),
                name="notif_inapp_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    EMAIL = "email"
    IN_APP = "in_app"


class NotificationPreference(TenantModel):
    """A member's choice for one kind of notification on one channel (absent: on)."""

    # No database constraint: users are global and outlive nothing here (RLS would hide
    # these rows from a cascade anyway); a deleted user's rows are simply never read.
    user = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # (tenant_id, user_id, …) indexes below cover it
        related_name="+",
    )
    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "user", "kind", "channel"], name="notifications_pref_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel}: {'on' if self.enabled else 'off'}"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    MANUAL = "manual"


class EmailSuppression(TenantModel):
    """An address this tenant never emails again (a hard bounce, a spam complaint, by hand),
    whichever provider reported it."""

    email = models.EmailField(max_length=254)
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    provider = models.CharField(max_length=64, blank=True)
    provider_event_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "email"], name="notifications_supp_uniq"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="notifications_supp_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


# --- Inbound email (the email channel) ----------------------------------------------------------


class InboundSecret(TenantModel):
    """The credential of the tenant's raw-MIME inbound endpoint (one per tenant). Only a
    SHA-256 of the secret is kept (tenants.tokens.secret_digest); it is shown once, when an
    admin creates or rotates it."""

    secret_hash = models.CharField(max_length=64)
    created_by = historical_reference(User)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="notifications_inbound_secret_uniq"),
        ]

    def __str__(self) -> str:
        return f"inbound secret {self.public_id}"


class InboundStatus(models.TextChoices):
    RECEIVED = "received"  # being processed (never committed as such)
    CREATED = "created"  # opened a ticket (a follow-up one included)
    REPLIED = "replied"  # became the customer's comment on a ticket
    IGNORED = "ignored"  # an auto-reply, a bounce, spam: nothing was filed


class InboundEmail(TenantModel):
    """One email received for a tenant, by its Message-ID (so a redelivery is recognised), and
    what became of it.

    Personal data is kept minimal: no subject, no text (they live on the ticket or comment,
    where erasure finds them); the sender's address only when the message was filed under a
    customer (`customer_id`), and it is scrubbed when that customer is erased. The customer's
    Message-ID threads our later emails about the ticket to their original message.
    """

    message_id = models.CharField(max_length=255)
    source = models.CharField(max_length=32)  # "raw" or "anymail:<esp>"
    status = models.CharField(
        max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    reason = models.CharField(max_length=64, blank=True)
    sender = models.EmailField(max_length=254, blank=True)
    # The customer the message was filed under (its address is scrubbed when it is erased).
    customer_id = models.BigIntegerField(null=True, blank=True)
    ticket_number = models.BigIntegerField(null=True, blank=True)
    attachments_kept = models.PositiveSmallIntegerField(default=0)
    attachments_refused = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "message_id"], name="notifications_inbound_msgid_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-received_at"], name="notif_inbound_time_idx"),
            models.Index(fields=["tenant", "ticket_number"], name="notif_inbound_ticket_idx"),
            models.Index(
                fields=["tenant", "customer_id"],
                condition=Q(customer_id__isnull=False),
                name="notif_inbound_customer_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"inbound {self.public_id} ({self.status})"
