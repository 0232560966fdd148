"""The SLA sweeps (DESIGN.md §6): find the tickets that just missed a target, or waited
unassigned too long, and escalate each exactly once.

Runs every minute per tenant (tickets.tasks.sla_sweep_task). Candidates come through the
partial indexes of running, not-yet-breached clocks, so a sweep reads only tickets that are
due; each is locked (SKIP LOCKED: two sweeps at once share the work, never do it twice), its
state re-checked under the lock, and the breach stored with its time before anything is
published. A target breaches once; the escalation it causes happens once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants import events
from tenants.access import SYSTEM
from tenants.context import tenant_context
from tenants.models import Tenant
from tickets import history
from tickets.events import TicketEscalated, TicketSlaBreached, ticket_changed_publish
from tickets.models import Priority, Status, Ticket, TicketEvent
from tickets.sla import (
    SlaConfig,
    business_minutes_stamp,
    sla_calendar_load,
    sla_config_load,
    sla_refresh,
)

# One level up; critical stays critical.
NEXT_PRIORITY = {
    Priority.LOW: Priority.MEDIUM,
    Priority.MEDIUM: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}
RUNNING = (Status.OPEN, Status.IN_PROGRESS)


def _first_response_due(now: datetime) -> Q:
    # Only while the ticket is worked on: a closed or resolved ticket's clock has stopped,
    # whatever an old row still says.
    return Q(
        status__in=RUNNING,
        first_response_at__isnull=True,
        first_response_breached_at__isnull=True,
        first_response_due_at__isnull=False,
        first_response_due_at__lte=now,
    )


def _resolution_due(now: datetime) -> Q:
    return Q(
        resolution_breached_at__isnull=True,
        resolution_due_at__isnull=False,
        resolution_due_at__lte=now,
        status__in=RUNNING,
    )


def _unassigned_too_long(tenant: Tenant, now: datetime) -> Q:
    hours = tenant.effective_settings["unassigned_escalation_hours"]
    return Q(
        status=Status.OPEN,
        assignee__isnull=True,
        unassigned_escalated_at__isnull=True,
        created_at__lte=now - timedelta(hours=hours),
    )


@dataclass(frozen=True)
class SweepResult:
    breached: int
    escalated: int


def _escalate(ticket: Ticket, *, tenant: Tenant, reason: str, rows: list, before: dict) -> None:
    """Raise the (locked) ticket one priority level, mark it escalated, record and publish."""
    old = {f: getattr(ticket, f) for f in ("priority", "escalated", "escalation_level")}
    ticket.priority = NEXT_PRIORITY[ticket.priority]
    ticket.escalated = True
    ticket.escalation_level += 1
    for field, old_value in old.items():
        new_value = getattr(ticket, field)
        if old_value != new_value:
            rows.append(history.field_changed(ticket, SYSTEM, field, old_value, new_value))
            before.setdefault(field, old_value)
    events.publish(
        TicketEscalated(
            number=ticket.number,
            priority=ticket.priority,
            escalation_level=ticket.escalation_level,
            reason=reason,
            version=ticket.version,
        ),
        tenant=tenant,
        actor=SYSTEM,
    )


def _newly_breached(ticket: Ticket, now: datetime) -> list[tuple[str, datetime]]:
    """The targets of the ticket whose running clock is past due and not yet breached."""
    due = []
    for target, running in (
        ("first_response", ticket.first_response_at is None and ticket.status in RUNNING),
        ("resolution", ticket.status in RUNNING),
    ):
        due_at = getattr(ticket, f"{target}_due_at")
        already = getattr(ticket, f"{target}_breached_at") is not None
        if running and not already and due_at is not None and due_at <= now:
            due.append((target, due_at))
    return due


def _breach(ticket: Ticket, *, tenant: Tenant, target: str, due: datetime, now, rows) -> None:
    setattr(ticket, f"{target}_breached_at", now)
    ticket.sla_breached = True
    rows.append(history.sla_breached(ticket, SYSTEM, target, due))
    events.publish(
        TicketSlaBreached(
            number=ticket.number,
            target=target,
            due_at=due.isoformat().replace("+00:00", "Z"),
            priority=ticket.priority,
            version=ticket.version,
        ),
        tenant=tenant,
        actor=SYSTEM,
    )


def _sweep_one(
    ticket: Ticket, *, tenant: Tenant, now: datetime, config: SlaConfig
) -> tuple[int, int]:
    """Breach and escalate one locked ticket as its state says, once: (breaches, escalations).

    One incident escalates once. A breach raises the priority one level; the running clocks
    then follow the new priority, and a target that is past due under it is recorded as
    breached now too (it is) without a second escalation. A ticket that waited unassigned too
    long escalates once for that, unless a breach escalated it in the same sweep."""
    rows: list[TicketEvent] = []
    before: dict = {}
    breaches = _newly_breached(ticket, now)
    hours = tenant.effective_settings["unassigned_escalation_hours"]
    waited_unassigned = (
        ticket.status == Status.OPEN
        and ticket.assignee_id is None
        and ticket.unassigned_escalated_at is None
        and ticket.created_at <= now - timedelta(hours=hours)
    )
    if not breaches and not waited_unassigned:
        return 0, 0  # picked as a candidate, but nothing is due under the lock
    ticket.version += 1  # one change of the ticket: every event below names its new version
    if waited_unassigned:
        ticket.unassigned_escalated_at = now  # consumed, whichever rule escalates
    for target, due in breaches:
        _breach(ticket, tenant=tenant, target=target, due=due, now=now, rows=rows)
    reason = "sla_breached" if breaches else "unassigned"
    _escalate(ticket, tenant=tenant, reason=reason, rows=rows, before=before)
    sla_refresh(ticket, config=config)  # the priority went up: the running clocks' due times follow
    followed = _newly_breached(ticket, now)
    for target, due in followed:
        _breach(ticket, tenant=tenant, target=target, due=due, now=now, rows=rows)
    ticket.save()
    TicketEvent.objects.bulk_create(rows)
    changed = [field for field in ("priority", "escalation_level", "escalated") if field in before]
    ticket_changed_publish(
        tenant=tenant, actor=SYSTEM, ticket=ticket, changed=changed, before=before
    )
    return len(breaches) + len(followed), 1


def _rules(tenant: Tenant, now: datetime) -> tuple[tuple[Q, str], ...]:
    """What makes a ticket a candidate, each with the column its partial index is ordered by."""
    return (
        (_first_response_due(now), "first_response_due_at"),
        (_resolution_due(now), "resolution_due_at"),
        (_unassigned_too_long(tenant, now), "created_at"),
    )


def sla_sweep_candidates(*, tenant: Tenant, now: datetime) -> QuerySet[Ticket]:
    """Every ticket a sweep at `now` has work for (any rule), by id."""
    due = Q()
    for rule, _order in _rules(tenant, now):
        due |= rule
    return Ticket.objects.filter(tenant=tenant).filter(due).order_by("pk")


def _candidate_ids(*, tenant: Tenant, now: datetime, limit: int) -> list[int]:
    """Up to `limit` candidate ids, the longest overdue of each rule first.

    One query per rule, each a range scan of its partial index in index order. The rules
    OR'ed in one query (sla_sweep_candidates) with ORDER BY id LIMIT let the planner misjudge
    them: it counts on thousands of matches (the clauses are correlated: a clock without a
    first response is almost always not yet due) and walks the primary key of the whole table,
    every tenant's rows, for the few due ones (bench/SLA.md)."""
    ids: set[int] = set()
    for rule, order in _rules(tenant, now):
        query = Ticket.objects.filter(tenant=tenant).filter(rule).order_by(order)
        ids.update(query.values_list("pk", flat=True)[:limit])
    return sorted(ids)[:limit]


@transaction.atomic
def sla_sweep(*, tenant: Tenant, now: datetime | None = None, limit: int = 500) -> SweepResult:
    """Store every breach due in `tenant` by `now` (published once as ticket.sla_breached),
    escalate each breach and each ticket unassigned for too long (ticket.escalated, once).
    Tickets another sweep holds are skipped (it handles them)."""
    now = now or timezone.now()
    ids = _candidate_ids(tenant=tenant, now=now, limit=limit)
    candidates = (
        sla_sweep_candidates(tenant=tenant, now=now)
        .filter(pk__in=ids)  # still due: another sweep may have handled one meanwhile
        .select_related("requester")
        .select_for_update(skip_locked=True, of=("self",))
        if ids
        else Ticket.objects.none()
    )
    breached = escalated = 0
    config = None
    for ticket in candidates:
        config = config or sla_config_load()  # once per run, and only when something is due
        b, e = _sweep_one(ticket, tenant=tenant, now=now, config=config)
        breached, escalated = breached + b, escalated + e
    return SweepResult(breached=breached, escalated=escalated)


BACKFILL_BATCH = 500


def ticket_business_minutes_backfill(*, tenant: Tenant) -> int:
    """Store the business minutes to the first response and to the resolution of the tenant's
    tickets made before they were stored at write time (tickets.sla.business_minutes_stamp),
    on its current calendar. Each batch locks its tickets in id order and commits on its own;
    rerunning finds nothing left. Return how many tickets changed."""
    missing = Q(first_response_at__isnull=False, first_response_business_minutes__isnull=True) | Q(
        status__in=[Status.RESOLVED, Status.CLOSED],
        resolved_at__isnull=False,
        resolution_business_minutes__isnull=True,
    )
    fields = ["first_response_business_minutes", "resolution_business_minutes"]
    changed, after = 0, 0
    while True:
        with tenant_context(tenant):  # a transaction per batch
            calendar = sla_calendar_load()
            batch = list(
                Ticket.objects.filter(missing, tenant=tenant, pk__gt=after)
                .select_for_update()
                .order_by("pk")[:BACKFILL_BATCH]
            )
            if not batch:
                return changed
            for ticket in batch:
                business_minutes_stamp(ticket, calendar=calendar)
            Ticket.objects.bulk_update(batch, fields)
            changed += len(batch)
            after = batch[-1].pk
