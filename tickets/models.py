"""Customers, tickets, comments, attachments, history and export jobs (all tenant-owned)."""

from datetime import UTC, datetime

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case, F, Q, Value, When
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
# The annotations the ticket list reads the number of the ticket a ticket was merged into
# as, with the id it was read for (tickets.selectors.ticket_list; Ticket.merged_into_number
# uses them only while merged_into_id is still that id and no relation is loaded).
MERGED_INTO_NUMBER = "merged_into_number_read"
MERGED_INTO_READ_FOR = "merged_into_number_read_for"

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


class SlaPolicy(TenantModel):
    """SLA targets in minutes per priority: the tenant's default policy (`tier` null, one per
    tenant) or one customer tier's override (one per tier). tickets/sla.py reads them."""

    name = models.CharField(max_length=100)
    tier = models.CharField(max_length=16, choices=Tier.choices, null=True, blank=True)
    first_response_critical = models.PositiveIntegerField()
    first_response_high = models.PositiveIntegerField()
    first_response_medium = models.PositiveIntegerField()
    first_response_low = models.PositiveIntegerField()
    resolution_critical = models.PositiveIntegerField()
    resolution_high = models.PositiveIntegerField()
    resolution_medium = models.PositiveIntegerField()
    resolution_low = models.PositiveIntegerField()
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "tier"],
                condition=Q(tier__isnull=False),
                name="tickets_slapolicy_tier_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(tier__isnull=True),
                name="tickets_slapolicy_default_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.tier is None


class BusinessHours(TenantModel):
    """The tenant's business calendar (one row, created on first change; none means 24/7 UTC):
    the timezone, weekly open intervals [{weekday 0-6, start "HH:MM", end "HH:MM"}] and
    holidays [{date "YYYY-MM-DD", name}], validated by tickets.services.sla_settings."""

    timezone = models.CharField(max_length=64, default="UTC")
    intervals = models.JSONField(default=list, blank=True)
    holidays = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = "business hours"
        verbose_name_plural = "business hours"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="tickets_businesshours_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return f"Business hours ({self.timezone})"


# --- Ordering by SLA due time (the ticket list's `ordering`, tickets/api/filters.py) ----------
# A due time counts only while its clock runs, as for the `due_before` filter and the breach
# sweep: first response until it is made, resolution while the ticket is open or in progress
# (a met target keeps its due time in the column, and is ignored here). The sort keys are never
# null — no running clock sorts as a sentinel past every real time, last in both directions —
# so the cursor can compare positions; the indexes on Ticket serve the ascending keys ("what
# breaches next").
#
# The keys are plain CASEs on purpose: under row-level security PostgreSQL uses a condition on
# an index only when it is leakproof, and COALESCE counts as leaky; with it the cursor's
# `(key, number) >= (…)` became a filter over every row before the position.
NO_DUE_ASCENDING = datetime(9999, 1, 1, tzinfo=UTC)


def due_sort_key(target: str) -> Case:
    """The never-null key the list sorts `target` by (first_response, resolution, or sla: the
    earlier running one): the running clock's due time, else a sentinel that sorts last."""
    first_response_runs = Q(first_response_at__isnull=True, first_response_due_at__isnull=False)
    resolution_runs = Q(
        status__in=[Status.OPEN.value, Status.IN_PROGRESS.value], resolution_due_at__isnull=False
    )
    first_response = When(first_response_runs, then=F("first_response_due_at"))
    resolution = When(resolution_runs, then=F("resolution_due_at"))
    if target == "first_response":
        whens = [first_response]
    elif target == "resolution":
        whens = [resolution]
    elif target == "sla":
        earlier = ~resolution_runs | Q(first_response_due_at__lte=F("resolution_due_at"))
        whens = [When(first_response_runs & earlier, then=F("first_response_due_at")), resolution]
    else:
        raise ValueError(f"unknown due target {target!r}")
    return Case(
        *whens,
        default=Value(NO_DUE_ASCENDING),
        output_field=models.DateTimeField(),
    )


class Ticket(TenantModel):
    number = models.BigIntegerField()
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.MEDIUM)
    category = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    requester = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,  # tickets_ticket_requester_idx (tenant, requester)
        related_name="tickets",
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
    # The targets (minutes) the due times were computed from: the policy for the ticket's
    # priority and requester tier at the last recomputation (null on tickets older than them).
    first_response_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    # When each target was missed (set once, by the breach sweep), and when the ticket was
    # escalated for waiting unassigned too long (once).
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    unassigned_escalated_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Business minutes the SLA clock ran until the first response and until the resolution
    # (tickets.sla.business_minutes_stamp), stored when each happens so that reports take
    # medians in SQL: open time on the tenant's calendar then, less the clock's stops.
    first_response_business_minutes = models.FloatField(null=True, blank=True)
    resolution_business_minutes = models.FloatField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,  # tickets_ticket_merged_into_idx (tenant, merged_into)
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
            models.Index(fields=["tenant", "merged_into"], name="tickets_ticket_merged_into_idx"),
            models.Index(
                fields=["tenant", "status", "-created_at"], name="tickets_ticket_status_idx"
            ),
            models.Index(fields=["tenant", "-updated_at"], name="tickets_ticket_updated_idx"),
            models.Index(fields=["tenant", "assignee"], name="tickets_ticket_assignee_idx"),
            # Reports (tickets/reports.py): first responses and resolutions in a window, and
            # the unresolved tickets created before its end (the backlog), counted per group
            # from the index alone (bench/REPORTS.md).
            models.Index(
                fields=["tenant", "first_response_at"], name="tickets_ticket_first_resp_idx"
            ),
            models.Index(fields=["tenant", "resolved_at"], name="tickets_ticket_resolved_idx"),
            models.Index(
                fields=["tenant", "created_at"],
                include=["priority", "channel", "assignee"],
                condition=Q(resolved_at__isnull=True),
                name="tickets_ticket_unresolved_idx",
            ),
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
            # The list ordered by a due time, ascending (see due_sort_key): a page reads the
            # next rows of the index instead of sorting the tenant's tickets.
            models.Index(
                F("tenant"),
                due_sort_key("first_response"),
                F("number"),
                name="tickets_ticket_fr_due_ord_idx",
            ),
            models.Index(
                F("tenant"),
                due_sort_key("resolution"),
                F("number"),
                name="tickets_ticket_res_due_ord_idx",
            ),
            models.Index(
                F("tenant"), due_sort_key("sla"), F("number"), name="tickets_ticket_sla_due_ord_idx"
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
    def merged_into_number(self) -> int | None:
        """The number of the ticket this one was merged into (None: not merged): the loaded
        relation if any (a merge just set it), else the number the ticket list read with the
        row, else a read."""
        if self.merged_into_id is None:
            return None
        read = self.__dict__
        if (
            not Ticket.merged_into.is_cached(self)
            and MERGED_INTO_NUMBER in read
            and read.get(MERGED_INTO_READ_FOR) == self.merged_into_id
        ):
            return read[MERGED_INTO_NUMBER]
        return self.merged_into.number

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
        Ticket,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # tickets_comment_idx (tenant, ticket, created_at)
        related_name="comments",
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
        db_index=False,  # tickets_comment_customer_idx (tenant, author_customer)
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
            models.Index(fields=["tenant", "author_customer"], name="tickets_comment_customer_idx"),
        ]


class TicketEvent(TenantModel):
    """One change of one field of a ticket: who, what, from, to, when."""

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # tickets_event_idx (tenant, ticket, created_at)
        related_name="events",
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
        db_index=False,  # tickets_event_customer_idx (tenant, customer)
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
            models.Index(fields=["tenant", "customer"], name="tickets_event_customer_idx"),
            # Reports' reopen rate: the status moves of a window.
            models.Index(
                fields=["tenant", "created_at"],
                condition=Q(field="status"),
                name="tickets_event_status_idx",
            ),
        ]


class Attachment(TenantModel):
    """A file on a ticket (optionally on one comment). The bytes live in storage under a
    tenant-prefixed random key and are served only through the authorized download route."""

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # tickets_attachment_idx (tenant, ticket, created_at)
        related_name="attachments",
    )
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,  # tickets_attachment_comment_idx (tenant, comment)
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
            models.Index(fields=["tenant", "comment"], name="tickets_attachment_comment_idx"),
        ]


class ExportStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportKind(models.TextChoices):
    TICKETS = "tickets"  # the tickets matching `filters`
    REPORT_SUMMARY = "report_summary"  # reports/summary/ over the window in `filters`


class ExportJob(TenantModel):
    """An asynchronous CSV export of tickets matching a set of filters, or of a report (its
    window and grouping in `filters`)."""

    requested_by = historical_reference(User)
    kind = models.CharField(max_length=32, choices=ExportKind.choices, default=ExportKind.TICKETS)
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
