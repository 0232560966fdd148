"""Reports over a tenant's tickets (`reports/summary/`), computed in SQL: three statements
whatever the number of tickets (JIT off for the transaction, the figures, the agents' load).

The window is [start, end) (report_window). What each figure counts:

- created: tickets whose created_at is in the window.
- resolved: tickets whose resolved_at is in the window (their resolution as it stands: a
  ticket reopened since has no resolved_at and is not counted; one closed without being
  resolved counts when it closed, as the workflow stamps resolved_at then).
- backlog: tickets created before `end` that were not resolved before `end`
  (resolved_at null or not before `end`). Read from resolved_at as it stands, so a ticket
  resolved before `end` and reopened after counts as backlog (the history is not replayed).
  Per day or week: the backlog at the end of that bucket's part of the window (the backlog at
  `start` plus the bucket's running created minus resolved).
- first_response / resolution: median and 90th percentile (percentile_cont: interpolated)
  of the business minutes to the first response (tickets first answered in the window) and to
  the resolution (tickets resolved in the window), as the SLA clock counts them: open time
  on the tenant's business calendar, less the clock's stops (pending; resolved until a
  reopening), measured when each happened (Ticket.*_business_minutes; wall-clock minutes
  without a calendar). `count` is how many tickets the figures stand on.
- first_response_sla / resolution_sla: among those same tickets, the ones that had a target
  (`eligible`: a stored target, i.e. not from before SLA targets were stored) and met it
  (`met`: business minutes within the target minutes); `rate` is met / eligible, null with no
  eligible ticket. The `sla` list gives them per priority.
- reopens: among the tickets with a move to resolved in the window (history rows), how many
  were moved from resolved back to open later in the window; `rate` is reopened / resolved.
- agents: per assignee, the tickets unresolved now (open, in progress, pending: resolved_at
  null; the current load, not the load at `end`) and the tickets they resolved in the window
  (resolved_at in the window, by the current assignee).

Groups (`group_by`): day or week (Monday) in the tenant's timezone, each figure by its own
moment (created by created_at, resolved and resolution times by resolved_at, first responses
by first_response_at, reopens by the first move to resolved in the window), every bucket of
the window listed; or agent, priority, channel by the ticket's current value (every priority
and channel listed; agents with a figure, unassigned as a null key).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection

from tenants.models import Tenant, User
from tickets.models import Channel, Ticket, TicketEvent
from tickets.sla import PRIORITIES

GROUP_BYS = ("day", "week", "agent", "priority", "channel")
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=366)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Timing:
    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Attainment:
    eligible: int
    met: int

    @property
    def rate(self) -> float | None:
        return round(self.met / self.eligible, 4) if self.eligible else None


@dataclass(frozen=True)
class Reopens:
    resolved: int
    reopened: int

    @property
    def rate(self) -> float | None:
        return round(self.reopened / self.resolved, 4) if self.resolved else None


@dataclass(frozen=True)
class Figures:
    created: int = 0
    resolved: int = 0
    backlog: int = 0
    first_response: Timing = Timing(0, None, None)
    resolution: Timing = Timing(0, None, None)
    first_response_sla: Attainment = Attainment(0, 0)
    resolution_sla: Attainment = Attainment(0, 0)
    reopens: Reopens = Reopens(0, 0)


@dataclass(frozen=True)
class AgentRef:
    id: Any  # the user's public id
    name: str
    email: str


@dataclass(frozen=True)
class Group:
    key: str | None
    label: str
    agent: AgentRef | None
    figures: Figures


@dataclass(frozen=True)
class PriorityAttainment:
    priority: str
    first_response: Attainment
    resolution: Attainment


@dataclass(frozen=True)
class AgentLoad:
    agent: AgentRef
    open: int
    resolved: int


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    timezone: str
    group_by: str | None
    totals: Figures
    groups: list[Group] = field(default_factory=list)
    sla: list[PriorityAttainment] = field(default_factory=list)
    agents: list[AgentLoad] = field(default_factory=list)


def report_moment_parse(text: str) -> date | datetime:
    """An ISO 8601 date ("2026-11-30") or date-time (with or without an offset); ValueError
    otherwise."""
    if _DATE_ONLY.match(text):
        return date.fromisoformat(text)
    if "T" not in text and " " not in text:
        raise ValueError("not a date or date-time")
    return datetime.fromisoformat(text)


def _moment(value: date | datetime, zone: ZoneInfo, *, name: str, end_of_day: bool) -> datetime:
    try:
        if isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        else:
            day = value + timedelta(days=1) if end_of_day else value
            moment = datetime.combine(day, time(), tzinfo=zone)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationError({name: "This moment is out of range."}) from exc


def report_window(
    *,
    tenant: Tenant,
    start: date | datetime | None,
    end: date | datetime | None,
    now: datetime,
) -> tuple[datetime, datetime]:
    """Return the report's window [start, end) in UTC.

    A date is a whole day in the tenant's timezone: `start` from its midnight, `end` up to the
    next (the day is included); a date-time without an offset is the tenant's wall clock.
    `end` defaults to `now`, `start` to 30 days before `end`. Raises ValidationError unless
    end > start and the window spans at most 366 days.
    """
    zone = ZoneInfo(tenant.timezone)
    end_at = now if end is None else _moment(end, zone, name="to", end_of_day=True)
    start_at = (
        end_at - DEFAULT_WINDOW
        if start is None
        else _moment(start, zone, name="from", end_of_day=False)
    )
    if end_at <= start_at:
        raise ValidationError({"to": "Must be after `from`."})
    if end_at - start_at > MAX_WINDOW:
        raise ValidationError({"to": "The window spans at most 366 days."})
    return start_at, end_at


def _bucket(group_by: str | None, moment: str) -> str:
    """The SQL of a row's group key: `moment`'s local day or week (a date), or a ticket column
    (text)."""
    if group_by == "day":
        return f"({moment} AT TIME ZONE %(tz)s)::date"
    if group_by == "week":
        return f"date_trunc('week', {moment} AT TIME ZONE %(tz)s)::date"
    if group_by == "agent":
        return "t.assignee_id::text"
    if group_by in ("priority", "channel"):
        return f"t.{group_by}::text"
    return "NULL::text"


def _met(target: str) -> str:
    minutes, limit = f"t.{target}_business_minutes", f"t.{target}_target_minutes"
    return f"CASE WHEN {limit} IS NOT NULL AND {minutes} IS NOT NULL THEN {minutes} <= {limit} END"


def _figures_sql(group_by: str | None) -> str:
    ticket, event = Ticket._meta.db_table, TicketEvent._meta.db_table
    # Facts: (kind, group key, priority, n, hits, minutes, met). Timed facts are one row per
    # ticket (n = 1, its minutes, whether it met its target, null without one) for the
    # percentiles; the others are counted per (group, priority) in their branch (n, and for
    # reopens `hits` reopened), so only the timed rows are sorted. Each branch's condition
    # is served by an index on (tenant, moment); the backlog's unresolved branch by a partial
    # index that holds the group columns (an index-only scan).
    where = f"FROM {ticket} t WHERE t.tenant_id = %(tenant)s AND"

    def timed(kind: str, column: str, target: str) -> str:
        return f"""SELECT '{kind}', {_bucket(group_by, f"t.{column}")}, t.priority, 1, NULL,
                t.{target}_business_minutes, {_met(target)}
            {where} t.{column} >= %(start)s AND t.{column} < %(end)s"""

    branches = [
        f"""SELECT 'created' AS kind, {_bucket(group_by, "t.created_at")} AS bucket,
                t.priority, count(*) AS n, NULL::bigint AS hits, NULL::float8 AS minutes,
                NULL::boolean AS met
            {where} t.created_at >= %(start)s AND t.created_at < %(end)s
            GROUP BY 2, 3""",
        timed("first_response", "first_response_at", "first_response"),
        timed("resolved", "resolved_at", "resolution"),
        f"""SELECT 'reopens', {_bucket(group_by, "r.first_resolved")}, t.priority, count(*),
                count(*) FILTER (WHERE r.last_reopened > r.first_resolved), NULL, NULL
            FROM (
                SELECT e.ticket_id,
                    min(e.created_at) FILTER (WHERE e.new_value = '"resolved"') AS first_resolved,
                    max(e.created_at) FILTER (
                        WHERE e.old_value = '"resolved"' AND e.new_value = '"open"'
                    ) AS last_reopened
                FROM {event} e WHERE e.tenant_id = %(tenant)s AND e.field = 'status'
                    AND e.created_at >= %(start)s AND e.created_at < %(end)s
                GROUP BY e.ticket_id
            ) r JOIN {ticket} t ON t.id = r.ticket_id AND t.tenant_id = %(tenant)s
            WHERE r.first_resolved IS NOT NULL
            GROUP BY 2, 3""",  # noqa: S608 — fixed identifiers
    ]
    # The backlog at `end`, per group unless the groups are buckets of time (those count on
    # from the backlog at `start`, derived from the totals: report_summary).
    bucket = "NULL::date" if group_by in ("day", "week") else _bucket(group_by, "")
    for unresolved in ("t.resolved_at IS NULL", "t.resolved_at >= %(end)s"):
        branches.append(
            f"""SELECT 'backlog', {bucket}, t.priority, count(*), NULL, NULL, NULL
                {where} {unresolved} AND t.created_at < %(end)s
                GROUP BY 2, 3"""
        )
    facts = "\nUNION ALL\n".join(branches)
    agent = group_by == "agent"
    user = User._meta.db_table
    return f"""
        WITH facts AS ({facts}),
        figures AS (
            SELECT GROUPING(bucket) AS by_bucket, GROUPING(priority) AS by_priority,
                bucket, priority,
                coalesce(sum(n) FILTER (WHERE kind = 'created'), 0)::bigint AS created,
                count(*) FILTER (WHERE kind = 'resolved') AS resolved,
                coalesce(sum(n) FILTER (WHERE kind = 'backlog'), 0)::bigint AS backlog,
                count(minutes) FILTER (WHERE kind = 'first_response') AS fr_count,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes)
                    FILTER (WHERE kind = 'first_response') AS fr_median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY minutes)
                    FILTER (WHERE kind = 'first_response') AS fr_p90,
                count(minutes) FILTER (WHERE kind = 'resolved') AS res_count,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes)
                    FILTER (WHERE kind = 'resolved') AS res_median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY minutes)
                    FILTER (WHERE kind = 'resolved') AS res_p90,
                count(met) FILTER (WHERE kind = 'first_response') AS fr_eligible,
                count(*) FILTER (WHERE kind = 'first_response' AND met) AS fr_met,
                count(met) FILTER (WHERE kind = 'resolved') AS res_eligible,
                count(*) FILTER (WHERE kind = 'resolved' AND met) AS res_met,
                coalesce(sum(n) FILTER (WHERE kind = 'reopens'), 0)::bigint AS reopen_resolved,
                coalesce(sum(hits) FILTER (WHERE kind = 'reopens'), 0)::bigint AS reopened
            FROM facts
            GROUP BY GROUPING SETS ((bucket), (priority), ())
        )
        SELECT f.*, {"u.public_id, u.name, u.email" if agent else "NULL, NULL, NULL"}
        FROM figures f
        {f"LEFT JOIN {user} u ON f.by_bucket = 0 AND u.id = f.bucket::bigint" if agent else ""}
    """  # noqa: S608 — fixed identifiers and fragments; values are parameters


def _agents_sql() -> str:
    # Unresolved now is resolved_at null (the workflow stamps it on resolved and closed and
    # clears it on a reopening): counted from the partial index alone, like the backlog.
    ticket, user = Ticket._meta.db_table, User._meta.db_table
    return f"""
        SELECT u.public_id, u.name, u.email, sum(a.open)::bigint AS open,
            sum(a.resolved)::bigint AS resolved
        FROM (
            SELECT t.assignee_id, count(*) AS open, 0 AS resolved
            FROM {ticket} t WHERE t.tenant_id = %(tenant)s AND t.resolved_at IS NULL
                AND t.assignee_id IS NOT NULL
            GROUP BY 1
            UNION ALL
            SELECT t.assignee_id, 0, count(*)
            FROM {ticket} t WHERE t.tenant_id = %(tenant)s
                AND t.resolved_at >= %(start)s AND t.resolved_at < %(end)s
                AND t.assignee_id IS NOT NULL
            GROUP BY 1
        ) a JOIN {user} u ON u.id = a.assignee_id
        GROUP BY u.id, u.public_id, u.name, u.email
        ORDER BY open DESC, resolved DESC, u.email
    """  # noqa: S608 — fixed identifiers


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _figures(row: Mapping[str, Any]) -> Figures:
    return Figures(
        created=row["created"],
        resolved=row["resolved"],
        backlog=row["backlog"],
        first_response=Timing(row["fr_count"], _round(row["fr_median"]), _round(row["fr_p90"])),
        resolution=Timing(row["res_count"], _round(row["res_median"]), _round(row["res_p90"])),
        first_response_sla=Attainment(row["fr_eligible"], row["fr_met"]),
        resolution_sla=Attainment(row["res_eligible"], row["res_met"]),
        reopens=Reopens(row["reopen_resolved"], row["reopened"]),
    )


def _time_buckets(group_by: str, start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    """The keys of every local day or week (its Monday) the window touches, in order."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    step = 1
    if group_by == "week":
        first, last, step = first - timedelta(first.weekday()), last - timedelta(last.weekday()), 7
    return [
        (first + timedelta(days=offset)).isoformat()
        for offset in range(0, (last - first).days + 1, step)
    ]


def _groups(
    group_by: str,
    rows: list[dict],
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    backlog_start: int,
) -> list[Group]:
    found = {  # days and weeks come as dates
        row["bucket"].isoformat() if isinstance(row["bucket"], date) else row["bucket"]: row
        for row in rows
    }
    if group_by in ("day", "week"):
        groups, backlog = [], backlog_start
        for key in _time_buckets(group_by, start, end, zone):
            row = found.get(key)
            figures = _figures(row) if row else Figures()
            backlog += figures.created - figures.resolved
            groups.append(Group(key, key, None, replace(figures, backlog=backlog)))
        return groups
    if group_by in ("priority", "channel"):
        keys = [str(p) for p in PRIORITIES] if group_by == "priority" else list(Channel.values)
        return [
            Group(key, key, None, _figures(found[key]) if key in found else Figures())
            for key in keys
        ]
    groups = []
    for key, row in found.items():
        agent = None if key is None else AgentRef(row["public_id"], row["name"], row["email"])
        label = "Unassigned" if agent is None else (agent.name or agent.email)
        groups.append(Group(key and str(agent.id), label, agent, _figures(row)))
    # By name, the unassigned last.
    return sorted(groups, key=lambda g: (g.agent is None, g.label.lower(), g.key or ""))


def report_summary(
    *, tenant: Tenant, start: datetime, end: datetime, group_by: str | None = None
) -> Report:
    """Return the tenant's ticket figures for the window [start, end) (aware datetimes; see
    the module docstring for what each counts), grouped by `group_by` (day, week, agent,
    priority, channel) or not. Three statements, whatever the data. Raises ValidationError on a
    bad window or group_by."""
    if group_by is not None and group_by not in GROUP_BYS:
        raise ValidationError({"group_by": f"One of {', '.join(GROUP_BYS)}."})
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError({"from": "Aware datetimes only."})
    if not start < end or end - start > MAX_WINDOW:
        raise ValidationError({"to": "After `from`, at most 366 days after it."})
    zone = ZoneInfo(tenant.timezone)
    params = {
        "tenant": tenant.pk,
        "start": start,
        "end": end,
        "tz": tenant.timezone,
    }
    with connection.cursor() as cursor:
        # A few hundred thousand rows make the planner compile the statement (JIT), which
        # costs more than it saves here (~100 ms at 250k tickets, bench/REPORTS.md). For this
        # transaction only (outside one, PostgreSQL ignores it with a warning).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_figures_sql(group_by), params)
        columns = [c.name for c in cursor.description]
        # The last three columns are the agent's public_id, name, email (agent groups).
        names = [*columns[:-3], "public_id", "name", "email"]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        cursor.execute(_agents_sql(), params)
        agents = [
            AgentLoad(AgentRef(public_id, name, email), open_count, resolved)
            for public_id, name, email, open_count, resolved in cursor.fetchall()
        ]
    total = next(r for r in rows if r["by_bucket"] and r["by_priority"])
    per_priority = {r["priority"]: r for r in rows if r["by_bucket"] and not r["by_priority"]}
    by_bucket = [r for r in rows if not r["by_bucket"]]
    totals = _figures(total)
    sla = []
    for priority in PRIORITIES:
        figures = _figures(per_priority[priority]) if priority in per_priority else Figures()
        sla.append(
            PriorityAttainment(str(priority), figures.first_response_sla, figures.resolution_sla)
        )
    groups = []
    if group_by is not None:
        if group_by in ("day", "week"):
            by_bucket = [r for r in by_bucket if r["bucket"] is not None]  # the backlog rows
        groups = _groups(
            group_by,
            by_bucket,
            start=start,
            end=end,
            zone=zone,
            # The backlog at `start`: the one at `end` less what came in, plus what went out.
            backlog_start=totals.backlog - totals.created + totals.resolved,
        )
    return Report(
        start=start,
        end=end,
        timezone=tenant.timezone,
        group_by=group_by,
        totals=totals,
        groups=groups,
        sla=sla,
        agents=agents,
    )
