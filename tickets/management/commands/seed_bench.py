"""Seed benchmark data fast: N tenants, M tickets each, with customers, comments and history.

    DATABASE_URL=…/tenantdesk_bench DATABASE_OWNER_URL=…/tenantdesk_bench DEBUG=1 \
        .venv/bin/python manage.py seed_bench --tenants 4 --tickets-per-tenant 250000

Rows go in on the runtime connection inside `tenant_context(tenant)`: COPY into a temporary
staging table (PostgreSQL refuses COPY FROM into a table under row-level security), then one
INSERT … SELECT per table, so the RLS policy's WITH CHECK, the composite tenant foreign keys
and every trigger (the search documents too) apply exactly as to rows the API writes. Each
batch of tickets commits on its own; a background thread builds the next batch while
PostgreSQL ingests the current one. About 4 minutes for 1M tickets on two cores.

Per tenant: an owner and `--agents` agents (password `bench-password-1`, logins
`owner@<slug>.test`, `agent1@<slug>.test`, …), customers, tickets numbered 1..M (created over
the last year, status mix by age, SLA fields, tags, categories, channels, assignees), K
comments per ticket and one "created" history row per ticket. The tenant's ticket counter is
set to M, so tickets created through the API afterwards continue at M+1 without a gap.
"""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.utils import timezone

from tenants import services as tenant_services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.db import APPEND_ONLY_TABLES, OWNER_ALIAS
from tenants.models import Membership, Role, Tenant, TenantModel, User
from tickets.management.benchdata import BenchRows
from tickets.models import TicketCounter

BENCH_PASSWORD = "bench-password-1"  # noqa: S105 — printed on purpose, benchmark data only
COPY_CHUNK = 1 << 20
SEEDED_TABLES = (
    "tickets_customer",
    "tickets_ticket",
    "tickets_comment",
    "tickets_ticketevent",
    "tickets_ticketcounter",
)


@dataclass
class _Seeded:
    tickets: int = 0
    comments: int = 0
    customers: int = 0


def _user(email: str, name: str, password_hash: str) -> User:
    """Return the user with this email, creating it with the shared bench password."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=None, name=name, email_verified_at=timezone.now()
        )
        # One PBKDF2 run for all bench users instead of one per user.
        user.password = password_hash
        user.save(update_fields=["password"])
    return user


def _tenant_tables() -> list[str]:
    """Every tenant-owned table the purge may empty, referencing tables before referenced ones
    (the append-only audit log stays: the runtime role cannot delete from it)."""
    models = [
        m
        for m in apps.get_models()
        if issubclass(m, TenantModel) and m._meta.db_table not in APPEND_ONLY_TABLES
    ]
    ordered: list = []

    def visit(model, path=()):
        if model in ordered or model in path:
            return
        for field in model._meta.concrete_fields:
            target = field.related_model
            if field.is_relation and target in models and target is not model:
                visit(target, (*path, model))
        ordered.append(model)

    for model in models:
        visit(model)
    return [m._meta.db_table for m in reversed(ordered)]


def _allocate_ids(table: str, count: int) -> list[int]:
    """Reserve `count` ids from the table's identity sequence (ascending)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(table: str, columns: tuple[str, ...], data: bytes) -> None:
    """Load COPY text-format rows into `table` on the current transaction, under RLS.

    PostgreSQL refuses COPY FROM into a table with row-level security for any role the policy
    applies to ("COPY FROM not supported with row-level security"), so the rows are COPYed into
    a temporary staging table (dropped at commit) and moved with one INSERT … SELECT, which
    the policy's WITH CHECK, the foreign keys and the triggers all see row by row.
    """
    column_list = ", ".join(columns)
    stage = f"seed_stage_{table}"
    with connection.connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "  # noqa: S608 — fixed identifiers
            f"SELECT {column_list} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY {stage} ({column_list}) FROM STDIN") as copy:
            view = memoryview(data)
            for start in range(0, len(view), COPY_CHUNK):
                copy.write(view[start : start + COPY_CHUNK])
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {stage}"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {stage}")


def _search_table() -> str | None:
    """The full-text search side table of tickets, if the search migration created one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('tickets_ticketsearch')::text")
        return cursor.fetchone()[0]


class Command(BaseCommand):
    help = "Create benchmark tenants with many tickets, fast (COPY, inside tenant contexts)."

    def add_arguments(self, parser):
        parser.add_argument("--tenants", type=int, required=True)
        parser.add_argument("--tickets-per-tenant", type=int, required=True)
        parser.add_argument("--comments-per-ticket", type=int, default=2)
        parser.add_argument("--prefix", default="bench", help="tenant slugs are <prefix>-1..N")
        parser.add_argument("--agents", type=int, default=8, help="agents per tenant")
        parser.add_argument(
            "--customers-per-tenant",
            type=int,
            default=None,
            help="default: one per 20 tickets (at least 10)",
        )
        parser.add_argument("--batch-size", type=int, default=25_000, help="tickets per commit")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same data again)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="empty the tenant data of existing <prefix>-* tenants and seed again "
            "(tenants and users are kept; the append-only audit log stays)",
        )
        parser.add_argument(
            "--skip-if-seeded",
            action="store_true",
            help="do nothing if <prefix>-1..N exist with at least M tickets each",
        )
        parser.add_argument(
            "--no-vacuum", action="store_true", help="skip VACUUM ANALYZE of the seeded tables"
        )
        parser.add_argument(
            "--force", action="store_true", help="seed even with DEBUG off (known passwords!)"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create users with a known password while DEBUG is off "
                "(use --force on a throwaway benchmark database)."
            )
        tenants_n, per_tenant = options["tenants"], options["tickets_per_tenant"]
        comments_k, agents_n = options["comments_per_ticket"], options["agents"]
        if tenants_n < 1 or per_tenant < 1 or comments_k < 0 or agents_n < 1:
            raise CommandError(
                "Need --tenants ≥ 1, --tickets-per-tenant ≥ 1, --agents ≥ 1 and "
                "--comments-per-ticket ≥ 0."
            )
        prefix = options["prefix"]
        pattern = rf"^{re.escape(prefix)}-[0-9]+$"
        existing = list(Tenant.objects.filter(slug__regex=pattern).order_by("pk"))
        if options["skip_if_seeded"] and self._seeded(existing, prefix, tenants_n, per_tenant):
            self.stdout.write(f"{prefix}-1..{tenants_n} already hold {per_tenant} tickets each")
            return
        if existing and not options["replace"]:
            raise CommandError(
                f"{len(existing)} tenant(s) named {prefix}-* exist already; use --replace to "
                "seed them again, or another --prefix."
            )
        started = time.perf_counter()
        for tenant in existing:
            self._purge(tenant)
        if existing:
            self.stdout.write(f"purged {len(existing)} tenant(s) in {self._since(started)}")

        password_hash = make_password(BENCH_PASSWORD)
        customers_n = options["customers_per_tenant"] or max(10, per_tenant // 20)
        total = _Seeded()
        seed_started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-bench-rows") as pool:
            for index in range(1, tenants_n + 1):
                tenant, agent_ids = self._tenant(f"{prefix}-{index}", agents_n, password_hash)
                rows = BenchRows(
                    seed=options["seed"] * 100_003 + index,
                    tenant_id=tenant.pk,
                    slug=tenant.slug,
                    now=time.time(),
                    tickets_total=per_tenant,
                    comments_per_ticket=comments_k,
                    agent_ids=agent_ids,
                    unassigned_escalation_hours=tenant.effective_settings[
                        "unassigned_escalation_hours"
                    ],
                )
                seeded = self._seed_tenant(
                    pool, tenant, rows, per_tenant, customers_n, options["batch_size"]
                )
                total.tickets += seeded.tickets
                total.comments += seeded.comments
                total.customers += seeded.customers
        copy_seconds = time.perf_counter() - seed_started

        search = _search_table()
        if search:
            self.stdout.write(
                f"search side table {search}: filled by its triggers as rows went in "
                "(nothing disabled, nothing rebuilt)"
            )
        if not options["no_vacuum"]:
            self._vacuum(search)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cursor.fetchone()[0]
        self.stdout.write(
            self.style.SUCCESS(
                f"seeded {tenants_n} tenant(s) ({prefix}-1..{prefix}-{tenants_n}): "
                f"{total.tickets} tickets, {total.comments} comments, {total.customers} "
                f"customers in {copy_seconds:.1f} s (COPY + INSERT under RLS) "
                f"({total.tickets / copy_seconds:,.0f} tickets/s), {self._since(started)} in "
                f"all; database size {size}; logins owner@{prefix}-1.test / agent1@… "
                f"(password {BENCH_PASSWORD})"
            )
        )

    # --- steps ---------------------------------------------------------------------------------

    @staticmethod
    def _since(started: float) -> str:
        return f"{time.perf_counter() - started:.1f} s"

    @staticmethod
    def _seeded(existing: list[Tenant], prefix: str, tenants_n: int, per_tenant: int) -> bool:
        """Whether <prefix>-1..N all exist and their ticket counters reached `per_tenant`."""
        by_slug = {tenant.slug: tenant for tenant in existing}
        for index in range(1, tenants_n + 1):
            tenant = by_slug.get(f"{prefix}-{index}")
            if tenant is None:
                return False
            with tenant_context(tenant):
                last = TicketCounter.objects.values_list("last_number", flat=True).first()
            if last is None or last < per_tenant:
                return False
        return True

    def _tenant(self, slug: str, agents_n: int, password_hash: str) -> tuple[Tenant, list[int]]:
        """The tenant with its owner and agents (created through the tenants services)."""
        owner = _user(f"owner@{slug}.test", f"Owner of {slug}", password_hash)
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = tenant_services.tenant_create(
                actor=Actor(user=owner), slug=slug, name=f"Benchmark {slug}"
            )
        actor = Actor(user=owner, role=Role.OWNER)
        agent_ids = []
        for number in range(1, agents_n + 1):
            agent = _user(f"agent{number}@{slug}.test", f"Agent {number} of {slug}", password_hash)
            if not Membership.objects.filter(tenant=tenant, user=agent).exists():
                tenant_services.member_add(
                    tenant=tenant,
                    actor=actor,
                    email=agent.email,
                    role=Role.AGENT,
                    is_senior=number == 1,
                )
            agent_ids.append(agent.pk)
        return tenant, agent_ids

    def _seed_tenant(self, pool, tenant, rows, per_tenant, customers_n, batch_size) -> _Seeded:
        started = time.perf_counter()
        customer_ids = _allocate_ids("tickets_customer", customers_n)
        customers = "".join(rows.customers(customer_ids)).encode()
        with tenant_context(tenant):
            _copy("tickets_customer", rows.CUSTOMER_COLUMNS, customers)

        def build(first: int, ids: list[int]):
            batch = rows.tickets(first_number=first, ids=ids)
            return (
                batch,
                "".join(batch.tickets).encode(),
                "".join(batch.comments).encode(),
                "".join(batch.events).encode(),
            )

        firsts = list(range(1, per_tenant + 1, batch_size))
        sizes = [min(batch_size, per_tenant - first + 1) for first in firsts]
        pending = pool.submit(build, firsts[0], _allocate_ids("tickets_ticket", sizes[0]))
        seeded = _Seeded(customers=customers_n)
        for position, (first, size) in enumerate(zip(firsts, sizes, strict=True)):
            batch, tickets, comments, events = pending.result()
            if position + 1 < len(firsts):  # build the next batch while this one goes in
                next_ids = _allocate_ids("tickets_ticket", sizes[position + 1])
                pending = pool.submit(build, firsts[position + 1], next_ids)
            with tenant_context(tenant):
                _copy("tickets_ticket", rows.TICKET_COLUMNS, tickets)
                _copy("tickets_comment", rows.COMMENT_COLUMNS, comments)
                _copy("tickets_ticketevent", rows.EVENT_COLUMNS, events)
                # Numbers 1..last exist now: the API continues at last + 1 (gap-free).
                with connection.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO tickets_ticketcounter (tenant_id, public_id, last_number) "
                        "VALUES (%s, gen_random_uuid(), %s) ON CONFLICT (tenant_id) DO UPDATE "
                        "SET last_number = GREATEST(tickets_ticketcounter.last_number, "
                        "EXCLUDED.last_number)",
                        [tenant.pk, first + size - 1],
                    )
            seeded.tickets += size
            seeded.comments += batch.comment_count
            self.stdout.write(
                f"  {tenant.slug}: {seeded.tickets}/{per_tenant} tickets ({self._since(started)})"
            )
        return seeded

    def _purge(self, tenant: Tenant) -> None:
        """Delete the tenant's rows from every tenant table but the append-only audit log."""
        started = time.perf_counter()
        with tenant_context(tenant), connection.cursor() as cursor:
            for table in _tenant_tables():
                cursor.execute(
                    f"DELETE FROM {connection.ops.quote_name(table)} WHERE tenant_id = %s",  # noqa: S608
                    [tenant.pk],
                )
        self.stdout.write(f"  {tenant.slug}: tenant data deleted ({self._since(started)})")

    def _vacuum(self, search_table: str | None) -> None:
        """VACUUM ANALYZE what was seeded (as the owner: the runtime role owns no table), so
        the benchmark sees fresh statistics, set hint bits and an all-visible map."""
        started = time.perf_counter()
        tables = [*SEEDED_TABLES, *([search_table] if search_table else [])]
        with connections[OWNER_ALIAS].cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
        self.stdout.write(f"VACUUM ANALYZE {', '.join(tables)}: {self._since(started)}")
