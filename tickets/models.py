"""Customers, tickets, comments, attachments, history and export jobs (all tenant-owned)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tenants.db import CompositeTenantFK
from tenants.models import TenantModel, User, historical_reference


class Tier(models.TextChoices):
    FREE = "free"
    BASIC = "basic"
    PREMIUM = "premium"
    ENTERPRISE = "enterprise"


class Status(models.TextChoices):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Channel(models.TextChoices):
    API = "api"
    EMAIL = "email"
    WEB = "web"
    PHONE = "phone"


# Urgent: open or in progress, unassigned, high or critical (DESIGN.md §6).
URGENT_Q = Q(
    status__in=[Status.OPEN, Status.IN_PROGRESS],
    assignee__isnull=True,
    priority__in=[Priority.HIGH, Priority.CRITICAL],
)


class Customer(TenantModel):
    """Someone who asks for support. One per email address within a tenant."""

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.FREE)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    crm_id = models.CharField(max_length=100, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            # Stored lowercased (the check), unique as stored: a plain (tenant_id, email) index
            # serves lookups under RLS, where lower(email) = … could not use an index
            # (lower() is not LEAKPROOF).
            models.UniqueConstraint(fields=["tenant", "email"], name="tickets_customer_email_uniq"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="tickets_customer_email_lowercase"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="tickets_customer_created_idx"),
            models.Index(fields=["tenant", "tier"], name="tickets_customer_tier_idx"),
        ]

    def __str__(self) -> str:
        # No personal data: str() lands in places erasure cannot reach (the admin's global
        # change log, log lines).
        return f"Customer {self.public_id}"


class TicketCounter(TenantModel):
    """The last ticket number handed out in a tenant (one row per tenant, locked per create)."""

    last_number = models.BigIntegerField(default=0)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="tickets_counter_tenant_uniq"),
        ]


class AssignmentCursor(TenantModel):
    """Where round-robin assignment stands in a tenant (one row, locked per automatic pick, so
    concurrent picks take turns: even and race-free)."""

    last_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="tickets_assigncursor_tenant_uniq"),
        ]


class Ticket(TenantModel):
    number = models.BigIntegerField()
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.MEDIUM)
    category = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    requester = models.ForeignKey(
        Customer, on_delete=models.PROTECT, db_constraint=False, related_name="tickets"
    )
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    escalated = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    sla_paused = models.BooleanField(default=False)
    # The SLA clock's stops: [[stopped_at, resumed_at or null], …] in ISO 8601 (tickets/sla.py).
    sla_pauses = models.JSONField(default=list, blank=True)
    # When each target was missed (set once, by the breach sweep), and when the ticket was
    # escalated for waiting unassigned too long (once).
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    unassigned_escalated_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="merged_from",
    )
    # The number of the closed ticket this one follows up (a customer wrote again about it,
    # DESIGN.md §6). A number, like every ticket reference of the API: numbers are never
    # reused, and the link survives the original's deletion or an erasure (no personal data).
    follow_up_of = models.BigIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "number"], name="tickets_ticket_number_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=Q(external_id__isnull=False),
                name="tickets_ticket_external_id_uniq",
            ),
            CompositeTenantFK(name="tickets_ticket_requester_tfk", field="requester"),
            CompositeTenantFK(name="tickets_ticket_merged_into_tfk", field="merged_into"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="tickets_ticket_created_idx"),
            models.Index(
                fields=["tenant", "status", "-created_at"], name="tickets_ticket_status_idx"
            ),
            models.Index(fields=["tenant", "-updated_at"], name="tickets_ticket_updated_idx"),
            models.Index(fields=["tenant", "assignee"], name="tickets_ticket_assignee_idx"),
            models.Index(fields=["tenant", "requester"], name="tickets_ticket_requester_idx"),
            # The breach sweep's candidates only (tickets/services/sla.py): running clocks
            # that have not breached yet.
            models.Index(
                fields=["tenant", "first_response_due_at"],
                condition=Q(
                    first_response_at__isnull=True,
                    first_response_breached_at__isnull=True,
                    first_response_due_at__isnull=False,
                ),
                name="tickets_ticket_fr_due_idx",
            ),
            models.Index(
                fields=["tenant", "resolution_due_at"],
                condition=Q(
                    resolution_breached_at__isnull=True,
                    resolution_due_at__isnull=False,
                    status__in=["open", "in_progress"],
                ),
                name="tickets_ticket_res_due_idx",
            ),
            models.Index(
                fields=["tenant", "created_at"],
                condition=Q(
                    status="open", assignee__isnull=True, unassigned_escalated_at__isnull=True
                ),
                name="tickets_ticket_unassigned_idx",
            ),
            # The list's sla_state=at_risk (tickets/filters.py) in list order: unbreached tickets
            # with a clock that can run, a few hundred per tenant. Without it the planner
            # counts on thousands of matches and walks the tenant's tickets by created_at for
            # the few dozen (bench/SLA.md).
            models.Index(
                fields=["tenant", "-created_at", "-id"],
                condition=Q(sla_breached=False)
                & (Q(first_response_at__isnull=True) | Q(status__in=["open", "in_progress"])),
                name="tickets_ticket_sla_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"  # subjects carry personal data; see Customer.__str__

    @property
    def is_urgent(self) -> bool:
        return (
            self.status in (Status.OPEN, Status.IN_PROGRESS)
            and self.assignee_id is None
            and self.priority in (Priority.HIGH, Priority.CRITICAL)
        )


class Comment(TenantModel):
    """A public reply or an internal note (public=False), by a member or by the customer."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, db_constraint=False, related_name="comments"
    )
    author_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    body = models.TextField()
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            CompositeTenantFK(name="tickets_comment_ticket_tfk", field="ticket"),
            CompositeTenantFK(name="tickets_comment_customer_tfk", field="author_customer"),
        ]
        indexes = [
            models.Index(fields=["tenant", "ticket", "created_at"], name="tickets_comment_idx"),
        ]


class TicketEvent(TenantModel):
    """One change of one field of a ticket: who, what, from, to, when."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, db_constraint=False, related_name="events"
    )
    actor_user = historical_reference(User)
    actor_label = models.CharField(max_length=254)
    # The requester of the ticket the change was made on. A merge moves the row to another
    # ticket; this keeps whose personal data its values may hold (GDPR erase, export).
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    field = models.CharField(max_length=64)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            CompositeTenantFK(name="tickets_event_ticket_tfk", field="ticket"),
            CompositeTenantFK(name="tickets_event_customer_tfk", field="customer"),
        ]
        indexes = [
            models.Index(fields=["tenant", "ticket", "created_at"], name="tickets_event_idx"),
        ]


class Attachment(TenantModel):
    """A file on a ticket (optionally on one comment). The bytes live in storage under a
    tenant-prefixed random key and are served only through the authorized download route."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, db_constraint=False, related_name="attachments"
    )
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="attachments",
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=500)
    uploaded_by = historical_reference(User)
    # True when the customer sent the file (inbound email, help center), never for uploads
    # through the API by a member or an API key. GDPR erase removes only these.
    from_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "storage_key"], name="tickets_attachment_key_uniq"
            ),
            CompositeTenantFK(name="tickets_attachment_ticket_tfk", field="ticket"),
            CompositeTenantFK(name="tickets_attachment_comment_tfk", field="comment"),
        ]
        indexes = [
            models.Index(fields=["tenant", "ticket", "created_at"], name="tickets_attachment_idx"),
        ]


class ExportStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(TenantModel):
    """An asynchronous CSV export of tickets matching a set of filters."""

    requested_by = historical_reference(User)
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    filters = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    storage_key = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="tickets_export_created_idx"),
        ]
