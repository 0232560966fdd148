"""The supervisor's dashboard on the admin index: the figures of a tenant's queue right now.

Five queries whatever the number of tickets, each an aggregate in SQL: open tickets by status
and priority (unassigned among them), breached today, agents' load, and the medians of the
last seven days. Run inside the tenant's context (the admin's views are).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    Aggregate,
    Count,
    FloatField,
    Q,
)
from django.utils import timezone

from tenants.models import Membership, Tenant
from tenants.permissions import roles_with
from tickets.models import Priority, Status, Ticket

UNFINISHED = (Status.OPEN, Status.IN_PROGRESS, Status.PENDING)
MEDIAN_DAYS = 7


class Median(Aggregate):
    """percentile_cont(0.5) of the expression (PostgreSQL), as a float."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class AgentLoad:
    name: str
    email: str
    role: str
    available: bool
    open_tickets: int


@dataclass(frozen=True)
class Dashboard:
    open_by_status: dict[str, dict[str, int]]  # status -> priority -> count
    open_total: int
    unassigned: int
    breached_today: int
    agents: list[AgentLoad]
    first_response_median_minutes: float | None
    resolution_median_minutes: float | None
    since: datetime


def _start_of_today(tenant: Tenant, now: datetime) -> datetime:
    local = timezone.localtime(now, timezone=ZoneInfo(tenant.timezone or "UTC"))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def dashboard_figures(*, tenant: Tenant, now: datetime | None = None) -> Dashboard:
    """Return the tenant's queue figures now: open tickets by status and priority, unassigned,
    breached since the tenant's midnight, each agent's open tickets, and the medians of time
    to first response and to resolution (business minutes) over the last seven days."""
    now = now or timezone.now()
    tickets = Ticket.objects.filter(tenant=tenant)
    open_by_status = {status: {p: 0 for p in Priority.values} for status in UNFINISHED}
    unassigned = 0
    for status, priority, assigned, count in (
        tickets.filter(status__in=UNFINISHED)
        .values_list("status", "priority", Q(assignee__isnull=False))
        .annotate(n=Count("id"))
        .order_by()
    ):
        open_by_status[status][priority] += count
        unassigned += 0 if assigned else count
    midnight = _start_of_today(tenant, now)
    breached_today = tickets.filter(
        Q(first_response_breached_at__gte=midnight) | Q(resolution_breached_at__gte=midnight)
    ).count()
    open_per_user = dict(
        tickets.filter(status__in=UNFINISHED, assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    members = (
        Membership.objects.filter(
            tenant=tenant, is_active=True, role__in=roles_with("ticket.write")
        )
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    agents = [
        AgentLoad(
            name=m.user.name,
            email=m.user.email,
            role=m.role,
            available=m.is_available,
            open_tickets=open_per_user.get(m.user_id, 0),
        )
        for m in members
    ]
    since = now - timedelta(days=MEDIAN_DAYS)
    # In business minutes as the SLA clock counts them (stored when each happens; see
    # tickets/reports.py), like the reports' figures.
    medians = tickets.aggregate(
        first=Median("first_response_business_minutes", filter=Q(first_response_at__gte=since)),
        resolution=Median("resolution_business_minutes", filter=Q(resolved_at__gte=since)),
    )
    return Dashboard(
        open_by_status=open_by_status,
        open_total=sum(sum(row.values()) for row in open_by_status.values()),
        unassigned=unassigned,
        breached_today=breached_today,
        agents=agents,
        first_response_median_minutes=_as_minutes(medians["first"]),
        resolution_median_minutes=_as_minutes(medians["resolution"]),
        since=since,
    )


def _as_minutes(value) -> float | None:
    return None if value is None else round(float(value), 1)
