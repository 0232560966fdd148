"""Row generators for `manage.py seed_bench`: customers, tickets, comments and history rows as
lines of PostgreSQL COPY text format, built as cheaply as Python allows (no model instances).

The text comes from a small vocabulary so full-text search has realistic hits: every feature
word is in a few percent of the tickets, every error code (`e1234`) in about 0.1 %. Nothing
here contains a tab or a backslash other than the `\\n` escapes COPY reads as newlines, so
no value needs escaping.
"""

import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tickets.sla import DEFAULT_TARGETS

NULL = r"\N"
YEAR = 365 * 24 * 3600.0

FEATURES = (
    "invoice", "export", "login", "password", "webhook", "dashboard", "report", "billing",
    "integration", "calendar", "payment", "refund", "subscription", "sso", "import", "upload",
    "attachment", "search", "filter", "permissions", "roles", "inbox", "workspace", "plan",
    "discount", "receipt", "shipping", "order", "tracking", "address", "language", "timezone",
    "printer", "sync", "token", "two-factor", "checkout", "notifications", "widget", "mobile",
)  # fmt: skip
PROBLEMS = (
    "Cannot use", "Error in", "Problem with", "Question about", "Slow", "Broken", "Missing",
    "Unable to update", "Wrong totals in", "Need help with", "Feature request:", "Duplicate",
)  # fmt: skip
PLATFORMS = ("android", "iphone", "chrome", "firefox", "safari", "windows", "macos", "linux")
WHEN = ("monday", "the last update", "yesterday", "last week", "this morning", "the migration")
SYMPTOMS = (
    "keeps failing", "shows a blank page", "times out", "returns an internal error",
    "is very slow", "shows the wrong numbers", "does not load", "crashes on start",
)  # fmt: skip
DEPARTMENTS = ("sales", "finance", "support", "marketing", "warehouse", "legal", "engineering")
FIRST_NAMES = (
    "ada", "ben", "cleo", "dan", "eva", "finn", "gia", "hugo", "ines", "jon", "kim", "liam",
    "mia", "noah", "olga", "pia", "quinn", "rosa", "sam", "tara", "uma", "vik", "wen", "yara",
)  # fmt: skip
LAST_NAMES = (
    "meyer", "smith", "garcia", "rossi", "novak", "khan", "tanaka", "silva", "berg", "dubois",
    "kowalski", "ivanova", "okafor", "larsen", "moreau", "chen", "patel", "nguyen",
)  # fmt: skip
COMPANY_PARTS = ("north", "blue", "iron", "green", "bright", "stone", "river", "swift", "oak")
COMPANY_KINDS = ("labs", "logistics", "foods", "media", "systems", "retail", "health", "works")
CATEGORIES = (
    "billing", "technical", "account", "shipping", "feature-request", "bug", "how-to", "",
)  # fmt: skip
# Tags and how often each is on a ticket (a ticket has 0-3 of them).
TAGS = (
    "bug", "billing", "vip", "mobile", "api", "refund", "outage", "feedback", "security",
    "onboarding", "churn-risk", "sla", "integration", "data-export", "ux", "legal",
)  # fmt: skip
TAG_WEIGHTS = (16, 14, 6, 10, 9, 5, 3, 8, 3, 6, 2, 4, 7, 4, 8, 1)

TIERS, TIER_WEIGHTS = ("free", "basic", "premium", "enterprise"), (50, 25, 15, 10)
PRIORITIES, PRIORITY_WEIGHTS = ("low", "medium", "high", "critical"), (20, 50, 22, 8)
CHANNELS, CHANNEL_WEIGHTS = ("email", "web", "api", "phone"), (45, 30, 15, 10)
STATUSES = ("open", "in_progress", "pending", "resolved", "closed")
# Status mix by age: new tickets are mostly open, old ones mostly closed.
STATUS_WEIGHTS_BY_AGE = (
    (2 * 86400, (55, 25, 15, 5, 0)),
    (14 * 86400, (20, 25, 20, 25, 10)),
    (float("inf"), (3, 3, 4, 15, 75)),
)
# The SLA targets in seconds, from the real rules (tickets.sla.DEFAULT_TARGETS, on the 24/7
# calendar a tenant without business hours has): first response, resolution.
SLA_SECONDS = {
    str(priority): (
        DEFAULT_TARGETS["first_response"][priority] * 60,
        DEFAULT_TARGETS["resolution"][priority] * 60,
    )
    for priority in DEFAULT_TARGETS["first_response"]
}
NEXT_PRIORITY = {"low": "medium", "medium": "high", "high": "critical", "critical": "critical"}
SWEEP_EVERY = 60.0  # the breach sweep runs every minute (tickets.tasks.sla_sweep_task)

AGENT_REPLIES = (
    "Thanks for reporting this, we are looking into the {f} issue.",
    "Could you send a screenshot of the {f} page on {p}?",
    "We deployed a fix for {f}; please try again and let us know.",
    "I escalated the {f} problem to our {d} team.",
    "The {f} issue is a known bug on {p}; a workaround is to reload the page.",
)
CUSTOMER_REPLIES = (
    "Still broken on {p}, the {f} {s}.",
    "Here is the screenshot you asked for, the {f} page {s}.",
    "Thanks, that fixed the {f} problem!",
    "Any update on this? Our {d} team is blocked by the {f} issue.",
)
INTERNAL_NOTES = (
    "Internal: reproduced on {p}, probably related to {f}.",
    "Internal: customer is on a trial, {f} is not in their plan.",
)

_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def uuid4s(count: int) -> list[str]:
    """Return `count` random version-4 UUID strings (faster than uuid.uuid4() in a loop)."""
    raw = os.urandom(16 * count).hex()
    return [
        f"{raw[i : i + 8]}-{raw[i + 8 : i + 12]}-4{raw[i + 13 : i + 16]}-"
        f"{_VARIANT[raw[i + 16]]}{raw[i + 17 : i + 20]}-{raw[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def ts(epoch: float) -> str:
    """Format a UNIX time as a PostgreSQL timestamptz literal (UTC, microseconds)."""
    sec = int(epoch)
    return (
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(sec))}.{int((epoch - sec) * 1e6):06d}+00"
    )


def iso(epoch: float) -> str:
    """A UNIX time as the ISO 8601 text tickets/sla.py stores in sla_pauses."""
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def copy_line(values: Sequence[object]) -> str:
    return "\t".join(map(str, values)) + "\n"


def customer_email(number: int, slug: str) -> str:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first}.{last}.{number}@customer.{slug}.test"


@dataclass
class SlaState:
    """The SLA columns of a ticket as the minute-by-minute breach sweep left them."""

    priority: str
    escalations: int
    first_response_due: float
    resolution_due: float | None
    first_response_breached: float | None
    resolution_breached: float | None
    unassigned_escalated: float | None
    changed_at: float | None  # the last sweep that changed the ticket

    @property
    def breached(self) -> bool:
        return self.first_response_breached is not None or self.resolution_breached is not None


def _tick(moment: float) -> float:
    """The first sweep at or after `moment` (the sweep runs on the minute)."""
    return math.ceil(moment / SWEEP_EVERY) * SWEEP_EVERY


def sla_timeline(
    *,
    created: float,
    priority: str,
    waits_unassigned: bool,
    first_response: float | None,
    stopped: float | None,
    paused: bool,
    swept_until: float,
    unassigned_after: float,
) -> SlaState:
    """Replay the breach sweep (tickets.services.sla._sweep_one) over one ticket's life, a run
    every minute up to `swept_until`, on the 24/7 calendar with DEFAULT_TARGETS.

    `first_response`: when the first response came (None: not yet); `stopped`: when the
    resolution clock stopped for good (None: still running), `paused` if by going pending
    (else by a resolution);
    `waits_unassigned`: open and unassigned since it was created. A target breaches at the
    first sweep after its due time while its clock still runs; the breach (or a wait past
    `unassigned_after`) raises the priority one level, once per sweep, and the running clocks
    follow the new priority (sla_refresh), a target past due under it breaching in the same
    sweep. Due times after `swept_until` stay unbreached: the next real sweep finds them.
    """
    fr_target, res_target = SLA_SECONDS[priority]
    fr_due, res_due = created + fr_target, created + res_target
    fr_breached = res_breached = unassigned_at = changed = None
    escalations = 0

    def fr_running(moment: float) -> bool:
        return first_response is None or first_response > moment

    def res_running(moment: float) -> bool:
        return stopped is None or stopped > moment

    while True:
        ticks = []
        if fr_breached is None and fr_running(_tick(fr_due)):
            ticks.append(_tick(fr_due))
        if res_breached is None and res_running(_tick(res_due)):
            ticks.append(_tick(res_due))
        if waits_unassigned and unassigned_at is None:
            ticks.append(_tick(created + unassigned_after))
        if not ticks or min(ticks) > swept_until:
            break
        at = changed = min(ticks)
        for _followed in (False, True):  # the breaches due, then those under the new priority
            if fr_breached is None and fr_running(at) and fr_due <= at:
                fr_breached = at
            if res_breached is None and res_running(at) and res_due <= at:
                res_breached = at
            if _followed:
                break
            if waits_unassigned and unassigned_at is None and created + unassigned_after <= at:
                unassigned_at = at
            priority = NEXT_PRIORITY[priority]
            escalations += 1
            fr_target, res_target = SLA_SECONDS[priority]
            if fr_running(at):
                fr_due = created + fr_target
            if res_running(at):
                res_due = created + res_target
    # Going pending stops the resolution clock: no due time while stopped, unless it had run
    # out already (sla_refresh, tickets.sla_calendar.due_at). A resolved ticket keeps the due
    # time it was resolved against.
    resolution_due = res_due
    if paused and stopped is not None and stopped < res_due:
        resolution_due = None
    return SlaState(
        priority=priority,
        escalations=escalations,
        first_response_due=fr_due,
        resolution_due=resolution_due,
        first_response_breached=fr_breached,
        resolution_breached=res_breached,
        unassigned_escalated=unassigned_at,
        changed_at=changed,
    )


@dataclass
class TicketBatch:
    tickets: list[str]
    comments: list[str]
    events: list[str]
    comment_count: int


class BenchRows:
    """Deterministic (per seed) realistic rows of one tenant."""

    CUSTOMER_COLUMNS = (
        "id", "tenant_id", "public_id", "email", "name", "tier", "company", "phone", "crm_id",
        "metadata", "version", "erased_at", "created_at", "updated_at",
    )  # fmt: skip
    TICKET_COLUMNS = (
        "id", "tenant_id", "public_id", "number", "subject", "description", "status",
        "priority", "category", "channel", "requester_id", "assignee_id", "tags", "metadata",
        "external_id", "escalated", "escalation_level", "first_response_due_at",
        "resolution_due_at", "sla_breached", "sla_paused", "sla_pauses",
        "first_response_breached_at", "resolution_breached_at", "unassigned_escalated_at",
        "first_response_at", "resolved_at",
        "closed_at", "merged_into_id", "version", "created_at", "updated_at",
    )  # fmt: skip
    COMMENT_COLUMNS = (
        "tenant_id", "public_id", "ticket_id", "author_user_id", "author_customer_id", "body",
        "public", "created_at",
    )  # fmt: skip
    EVENT_COLUMNS = (
        "tenant_id", "public_id", "ticket_id", "actor_user_id", "actor_label", "field",
        "old_value", "new_value", "created_at",
    )  # fmt: skip
    ACTOR_LABEL = "seed_bench"

    def __init__(
        self,
        *,
        seed: int,
        tenant_id: int,
        slug: str,
        now: float,
        tickets_total: int,
        comments_per_ticket: int,
        agent_ids: Sequence[int],
        unassigned_escalation_hours: int = 48,
        swept_until: float | None = None,
    ):
        self.rng = random.Random(seed)  # noqa: S311 — test data, not secrets
        self.tenant_id = tenant_id
        self.slug = slug
        self.now = now
        self.start = now - YEAR
        self.step = YEAR / max(tickets_total, 1)
        self.comments_per_ticket = comments_per_ticket
        self.agent_ids = list(agent_ids)
        self.customer_ids: list[int] = []
        # The SLA columns are as if the breach sweep had run every minute until the last whole
        # minute before `now` (tickets due after that are the next sweep's work).
        self.unassigned_after = unassigned_escalation_hours * 3600.0
        self.swept_until = (
            swept_until if swept_until is not None else math.floor(now / SWEEP_EVERY) * SWEEP_EVERY
        )

    # --- customers ---------------------------------------------------------------------------

    def customers(self, ids: Sequence[int]) -> list[str]:
        """COPY lines for customers with these pre-allocated ids (remembered for tickets)."""
        rng, lines = self.rng, []
        public_ids = uuid4s(len(ids))
        tiers = rng.choices(TIERS, TIER_WEIGHTS, k=len(ids))
        for n, (cid, pid, tier) in enumerate(zip(ids, public_ids, tiers, strict=True), 1):
            email = customer_email(n, self.slug)
            name = email.split(".", 2)
            company = (
                f"{rng.choice(COMPANY_PARTS).title()} {rng.choice(COMPANY_KINDS).title()}"
                if rng.random() < 0.7
                else ""
            )
            created = ts(self.start - rng.random() * YEAR)
            row = (
                cid,
                self.tenant_id,
                pid,
                email,
                f"{name[0].title()} {name[1].title()}",
                tier,
                company,
                f"+1555{n:07d}" if n % 3 else "",
                f"crm-{n}" if tier == "enterprise" else "",
                "{}",
                1,
                NULL,
                created,
                created,
            )
            lines.append(copy_line(row))
        self.customer_ids = list(ids)
        return lines

    # --- tickets -----------------------------------------------------------------------------

    def _subject(self, feature: str) -> str:
        rng = self.rng
        subject = f"{rng.choice(PROBLEMS)} {feature}"
        roll = rng.random()
        if roll < 0.3:
            subject += f" on {rng.choice(PLATFORMS)}"
        elif roll < 0.5:
            subject += f" since {rng.choice(WHEN)}"
        return subject

    def _description(self, feature: str) -> str:
        rng = self.rng
        sentences = [
            "Hi team,",
            f"since {rng.choice(WHEN)} the {feature} {rng.choice(SYMPTOMS)} "
            f"for our {rng.choice(DEPARTMENTS)} department.",
        ]
        if rng.random() < 0.6:
            sentences.append(
                f"We see error code e{rng.randrange(1000, 2000)} when we open "
                f"the {rng.choice(FEATURES)} page on {rng.choice(PLATFORMS)}."
            )
        if rng.random() < 0.4:
            sentences.append(
                f"Steps: open {feature}, click save, nothing happens. "
                f"This affects {rng.randrange(2, 300)} users."
            )
        sentences.append("Thanks!")
        return "\\n".join(sentences)  # COPY text format: \n is a newline

    def _status(self, age: float) -> str:
        for limit, weights in STATUS_WEIGHTS_BY_AGE:
            if age < limit:
                return self.rng.choices(STATUSES, weights)[0]
        raise AssertionError("unreachable")

    def _reply(self, templates: Sequence[str], feature: str) -> str:
        rng = self.rng
        return rng.choice(templates).format(
            f=feature, p=rng.choice(PLATFORMS), d=rng.choice(DEPARTMENTS), s=rng.choice(SYMPTOMS)
        )

    def tickets(self, *, first_number: int, ids: Sequence[int]) -> TicketBatch:
        """COPY lines for tickets numbered first_number… (one per pre-allocated id), their
        comments and their "created" history rows."""
        rng, now, tenant_id = self.rng, self.now, self.tenant_id
        count = len(ids)
        k = self.comments_per_ticket
        public_ids = uuid4s(count * (2 + k))
        priorities = rng.choices(PRIORITIES, PRIORITY_WEIGHTS, k=count)
        channels = rng.choices(CHANNELS, CHANNEL_WEIGHTS, k=count)
        customers = self.customer_ids
        agents = self.agent_ids
        tickets, comments, events = [], [], []
        comment_count = 0
        for i, ticket_id in enumerate(ids):
            number = first_number + i
            created = self.start + (number - 1 + rng.random()) * self.step
            age = now - created
            status = self._status(age)
            priority, channel = priorities[i], channels[i]
            feature = rng.choice(FEATURES)
            # A few customers file many tickets (skewed towards the first ones).
            requester = customers[int(len(customers) * rng.random() ** 2)]
            assigned = rng.random() < (0.95 if status != "open" else 0.4)
            assignee = rng.choice(agents) if assigned and agents else None
            answered = status != "open" or (assignee is not None and rng.random() < 0.5)
            latest = created
            first_response = None
            if answered:
                first_response = min(created + rng.uniform(300, 8 * 3600), now)
                latest = first_response
            resolved = closed = None
            if status in ("resolved", "closed"):
                resolved = min(latest + rng.uniform(600, 3 * 86400), now)
                latest = resolved
                if status == "closed":
                    closed = min(resolved + rng.uniform(3600, 7 * 86400), now)
                    latest = closed
            paused_at = None  # pending: the clock stopped when the ticket went pending
            if status == "pending":
                paused_at = min(latest + rng.uniform(600, 2 * 86400), now)
                latest = paused_at
            sla = sla_timeline(
                created=created,
                priority=priority,
                waits_unassigned=status == "open" and assignee is None,
                first_response=first_response,
                stopped=resolved if resolved is not None else paused_at,
                paused=paused_at is not None,
                swept_until=self.swept_until,
                unassigned_after=self.unassigned_after,
            )
            stopped_at = resolved if resolved is not None else paused_at
            pauses = "[]" if stopped_at is None else f'[["{iso(stopped_at)}", null]]'
            if sla.changed_at is not None:
                latest = max(latest, sla.changed_at)
            tags = rng.choices(TAGS, TAG_WEIGHTS, k=rng.choice((0, 1, 1, 2, 2, 3)))
            tags_literal = "{" + ",".join(dict.fromkeys(tags)) + "}"
            category = rng.choice(CATEGORIES)
            pid = public_ids[i * (2 + k)]
            row = (
                ticket_id,
                tenant_id,
                pid,
                number,
                self._subject(feature),
                self._description(feature),
                status,
                sla.priority,
                category,
                channel,
                requester,
                NULL if assignee is None else assignee,
                tags_literal,
                '{"plan": "pro"}' if rng.random() < 0.1 else "{}",
                f"mail-{number}" if channel == "email" else NULL,
                "t" if sla.escalations else "f",
                sla.escalations,
                ts(sla.first_response_due),
                NULL if sla.resolution_due is None else ts(sla.resolution_due),
                "t" if sla.breached else "f",
                "t" if status == "pending" else "f",
                pauses,  # the clock's last stop (pending, resolved), still stopped
                NULL if sla.first_response_breached is None else ts(sla.first_response_breached),
                NULL if sla.resolution_breached is None else ts(sla.resolution_breached),
                NULL if sla.unassigned_escalated is None else ts(sla.unassigned_escalated),
                NULL if first_response is None else ts(first_response),
                NULL if resolved is None else ts(resolved),
                NULL if closed is None else ts(closed),
                NULL,
                1 + sla.escalations,  # each escalation saved the ticket once
                ts(created),
                ts(latest),
            )
            tickets.append(copy_line(row))
            row = (
                tenant_id,
                public_ids[i * (2 + k) + 1],
                ticket_id,
                NULL,
                self.ACTOR_LABEL,
                "ticket",
                NULL,
                '"created"',
                ts(created),
            )
            events.append(copy_line(row))
            # Replies alternate team/customer from the first response on (which is comment 0);
            # an unanswered ticket only has follow-ups from the customer. None after closing.
            at = first_response if answered else created
            gap = rng.uniform(600, 86400)
            last_possible = closed or now
            for j in range(k):
                from_team = answered and j % 2 == 0
                if j or not answered:
                    at = min(at + gap, last_possible)
                if from_team:
                    internal = j > 0 and rng.random() < 0.2
                    author_user = assignee if assignee is not None else rng.choice(agents)
                    author_customer = NULL
                    body = self._reply(INTERNAL_NOTES if internal else AGENT_REPLIES, feature)
                else:
                    internal = False
                    author_user, author_customer = NULL, requester
                    body = self._reply(CUSTOMER_REPLIES, feature)
                row = (
                    tenant_id,
                    public_ids[i * (2 + k) + 2 + j],
                    ticket_id,
                    author_user,
                    author_customer,
                    body,
                    "f" if internal else "t",
                    ts(at),
                )
                comments.append(copy_line(row))
                comment_count += 1
        return TicketBatch(tickets, comments, events, comment_count)
