"""SLA breach sweep benchmark (tickets/services/sla.py) on `manage.py seed_bench` data.

    export DATABASE_URL=postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/tenantdesk_bench
    .venv/bin/python bench/sla.py --prefix bench1m [--steady-runs 20] [--trickle 1 --trickle 5]

Every sweep runs as the beat task fans it out: one `sla_sweep` per tenant (<prefix>-*), in
tenant_context(tenant id) with the tenant loaded inside it (tickets.tasks.sla_sweep_tenant_task),
limit 500, each in its own transaction. Measured: wall time per tenant and for all tenants,
the candidates (the sweep's candidate query without its LIMIT, counted before the run), the
breaches and escalations it stored, and the statements it issued (CaptureQueriesContext).

1. First sweep at the real now. The seeded SLA columns are as if the sweep had run every
   minute until the seed (tickets.management.benchdata.sla_timeline), so its work is what came
   due since the seed. Repeated while candidates remain (the task takes 500 a run), COMMITTED:
   it changes the data once, a second start of this script sees a swept database.
2. Steady state: `--steady-runs` sweeps of all tenants right after (committed; nothing is due
   but what comes due meanwhile): the cost the beat pays every minute.
3. Trickle: "now" moved forward by each `--trickle` minutes, one sweep of all tenants, ROLLED
   BACK (the tickets due in those minutes become candidates; the database is left as it was).

EXPLAIN (ANALYZE, BUFFERS) of the candidate query (with its FOR UPDATE SKIP LOCKED and LIMIT,
in a rolled-back transaction) before 1, before 2 and at the first trickle offset.

Celery messages the escalations' outbox rows send after COMMIT go to `--redis-db` of the local
Redis (default 12, must be empty at the start) and are deleted at the end, so no worker of the
shared Redis picks them up; the outbox rows themselves stay in the bench database.

`--recompute` (instead of the above): the recomputation of due times after an SLA setting
changes (tickets.services.sla_settings.sla_recompute, batches of 500, each committed), on ONE
tenant (`--recompute-tenant`, default <prefix>-4, so the list benchmark's <prefix>-1 keeps its
settings), COMMITTED, in this order:

    backfill   sla_recompute as found (seeded tickets have no target columns: manage.py
               sla_recompute's first run; on a rerun it finds them filled)
    again      sla_recompute with nothing changed (the floor: read, replay, compare)
    policy     sla_policy_update: default policy, medium first response 1440 -> 720 min
    hours      business_hours_update: Mon-Fri 09:00-17:00 Europe/Berlin
    restore    policy back to the tenant's previous targets, then hours back (unless
               `--keep-hours`: the hours stay, for the list benchmark with business hours)

Each change is applied as the API applies it (in tenant_context, actor SYSTEM; its background
task message goes to the private Redis db) and then sla_recompute is run in the foreground, as
the task runs it. Reported per step: wall time, tickets examined (unfinished) and changed,
statements by kind and per batch, time in the database (execute_wrapper) and so in Python.
`--profile` also writes a cProfile of the business-hours recompute (bench/sla_hours.prof).
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _environment(redis_db: int) -> None:
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        os.environ[name] = redis_url


def _kinds(queries) -> str:
    """Statement counts by kind, e.g. `SELECT 3, UPDATE 2, INSERT 4` (tenant-context SETs are
    `SELECT set_config`, listed apart as `ctx`)."""
    counts: dict[str, int] = {}
    for query in queries:
        sql = query["sql"].lstrip()
        if sql.startswith("SELECT set_config"):
            kind = "ctx"
        elif "SAVEPOINT" in sql[:30]:
            kind = "savepoint"
        else:
            kind = sql.split(None, 1)[0].upper()
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))


class _Statements:
    """execute_wrapper: statements by kind and the time spent in them (the database's side,
    plus the driver)."""

    def __init__(self):
        self.kinds: dict[str, int] = {}
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        text = sql.lstrip()
        if text.startswith("SELECT set_config"):
            kind = "ctx"
        elif "FOR UPDATE" in text:
            kind = "SELECT FOR UPDATE"
        else:
            kind = text.split(None, 1)[0].upper()
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def recompute_main(args) -> None:
    """`--recompute`: see the module docstring."""
    import cProfile

    import redis
    from django.db import connection

    from tenants.access import SYSTEM
    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tickets.models import Status, Ticket
    from tickets.services.sla_settings import (
        business_hours_get,
        business_hours_update,
        sla_policy_default,
        sla_policy_update,
        sla_recompute,
    )
    from tickets.sla import policy_targets

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    if broker.dbsize():
        raise SystemExit(f"Redis db {args.redis_db} is not empty: pick another --redis-db")
    slug = args.recompute_tenant or f"{args.prefix}-4"
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise SystemExit(f"no tenant {slug}: run manage.py seed_bench first")

    def state() -> dict:
        with tenant_context(tenant):
            unfinished = Ticket.objects.exclude(status__in=[Status.RESOLVED, Status.CLOSED])
            return {
                "tickets": Ticket.objects.count(),
                "unfinished": unfinished.count(),
                "no_targets": unfinished.filter(resolution_target_minutes__isnull=True).count(),
            }

    def settings_now() -> tuple[dict, dict]:
        with tenant_context(tenant):
            hours = business_hours_get(tenant=tenant)
            return (
                policy_targets(sla_policy_default(tenant=tenant)),
                {"timezone": hours.timezone, "intervals": hours.intervals},
            )

    def change(apply) -> float:
        started = time.perf_counter()
        with tenant_context(tenant):
            apply()
        return time.perf_counter() - started

    rows = []

    def recompute(label: str, setting_seconds: float = 0.0, profile: bool = False) -> None:
        examined = state()["unfinished"]
        statements = _Statements()
        profiler = cProfile.Profile() if profile else None
        with connection.execute_wrapper(statements):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            changed = sla_recompute(tenant=Tenant.objects.get(pk=tenant.pk))
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
        if profiler:
            out = ROOT / "bench" / "sla_hours.prof"
            profiler.dump_stats(out)
            print(f"profile of '{label}' written to {out}")
        batches = statements.kinds.get("SELECT FOR UPDATE", 1)
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(statements.kinds.items()))
        per_batch = sum(statements.kinds.values()) / batches
        rows.append(
            f"| {label} | {setting_seconds * 1000:.0f} | {examined:,} | {changed:,} | "
            f"{batches} | {kinds} | {per_batch:.1f} | {seconds:.2f} | "
            f"{statements.seconds:.2f} | {seconds - statements.seconds:.2f} | "
            f"{seconds / max(examined, 1) * 1e6:.0f} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)

    print(f"load: {os.getloadavg()}  tenant: {slug}  {state()}")
    policy_before, hours_before = settings_now()
    print(f"settings before: policy {policy_before}, hours {hours_before}")
    medium = policy_before["first_response"]["medium"]
    halved = 720 if medium != 720 else 360
    berlin = {
        "timezone": "Europe/Berlin",
        "intervals": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    }

    def policy_set(minutes: int):
        def apply():
            policy = sla_policy_default(tenant=tenant)
            sla_policy_update(
                tenant=tenant,
                actor=SYSTEM,
                policy=policy,
                first_response_minutes={"medium": minutes},
            )

        return apply

    def hours_set(hours: dict):
        return lambda: business_hours_update(tenant=tenant, actor=SYSTEM, **hours)

    recompute("backfill (as found)")
    recompute("again, nothing changed")
    recompute(f"policy: medium first response {medium} -> {halved}", change(policy_set(halved)))
    recompute(
        "hours: Mon-Fri 09-17 Europe/Berlin",
        change(hours_set(berlin)),
        profile=args.profile,
    )
    recompute("again, nothing changed (business hours)")
    recompute(f"restore policy: medium first response -> {medium}", change(policy_set(medium)))
    if not args.keep_hours:
        recompute("restore hours (24/7)", change(hours_set(hours_before)))
    print(
        "\n| step | setting ms | examined (unfinished) | changed | batches | statements | "
        "per batch | wall s | in db s | python s | µs / ticket |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    policy_after, hours_after = settings_now()
    print(f"\nsettings after: policy {policy_after}, hours {hours_after}")
    assert policy_after == policy_before, "policy not restored"
    left = broker.dbsize()
    broker.flushdb()  # only this run's task messages: the db was empty at the start
    print(f"load: {os.getloadavg()}; {left} Redis keys of this run's messages deleted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="bench1m")
    parser.add_argument("--limit", type=int, default=500, help="the task's limit per run")
    parser.add_argument("--steady-runs", type=int, default=20)
    parser.add_argument("--trickle", type=int, action="append", default=None, help="minutes")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--max-first-runs", type=int, default=50)
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="instead of the sweep: due-time recomputation after policy / hours changes",
    )
    parser.add_argument("--recompute-tenant", default=None, help="default <prefix>-4")
    parser.add_argument(
        "--keep-hours", action="store_true", help="--recompute: leave the business hours set"
    )
    parser.add_argument("--profile", action="store_true", help="--recompute: cProfile hours")
    args = parser.parse_args()
    trickles = args.trickle or [1, 5, 15, 60]
    _environment(args.redis_db)

    import django

    django.setup()
    if args.recompute:
        recompute_main(args)
        return
    import redis
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tickets.models import Ticket
    from tickets.services.sla import _candidate_ids, _rules, sla_sweep, sla_sweep_candidates

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    if broker.dbsize():
        raise SystemExit(f"Redis db {args.redis_db} is not empty: pick another --redis-db")

    tenants = list(Tenant.objects.filter(slug__regex=rf"^{args.prefix}-[0-9]+$").order_by("pk"))
    if not tenants:
        raise SystemExit(f"no tenants {args.prefix}-*: run manage.py seed_bench first")

    def count_tickets(tenant) -> int:
        with transaction.atomic(), tenant_context(tenant):
            return Ticket.objects.count()

    def candidates(tenant, now) -> int:
        with transaction.atomic(), tenant_context(tenant):
            return sla_sweep_candidates(tenant=tenant, now=now).count()

    def explain(tenant, now) -> str:
        """The sweep's queries: one per rule (each on its partial index), the lock of the
        candidates, and for comparison the rules OR'ed in one query with ORDER BY id LIMIT
        (how the sweep selected them before)."""
        plans = []
        with transaction.atomic(), tenant_context(tenant), connection.cursor() as cursor:
            queries = [
                (
                    f"rule ordered by {order}",
                    Ticket.objects.filter(tenant=tenant)
                    .filter(rule)
                    .order_by(order)
                    .values_list("pk", flat=True)[: args.limit],
                )
                for rule, order in _rules(tenant, now)
            ]
            everything = sla_sweep_candidates(tenant=tenant, now=now)
            ids = _candidate_ids(tenant=tenant, now=now, limit=args.limit)
            if ids:
                lock = everything.filter(pk__in=ids).select_for_update(
                    skip_locked=True, of=("self",)
                )
                queries.append((f"lock the {len(ids)} candidates", lock))
            queries.append(
                (
                    "for comparison: the rules OR'ed, ORDER BY id LIMIT (the sweep before)",
                    everything.select_for_update(skip_locked=True, of=("self",))[: args.limit],
                )
            )
            for label, queryset in queries:
                sql, params = queryset.query.sql_with_params()
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                plans.append(f"-- {label}\n" + "\n".join(row[0] for row in cursor.fetchall()))
            transaction.set_rollback(True)  # EXPLAIN ANALYZE took the row locks
        return "\n".join(plans)

    def sweep(tenant, now=None) -> dict:
        """One tenant's sweep as the task runs it: its own transaction, in tenant context."""
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            with tenant_context(tenant.pk):
                result = sla_sweep(tenant=Tenant.objects.get(pk=tenant.pk), now=now)
            seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "breached": result.breached,
            "escalated": result.escalated,
            "statements": len(captured.captured_queries),
            "kinds": _kinds(captured.captured_queries),
        }

    print(f"load: {os.getloadavg()}  tenants: {', '.join(t.slug for t in tenants)}")
    sizes = {t.slug: count_tickets(t) for t in tenants}
    print(f"tickets: {sizes} = {sum(sizes.values()):,}")
    first = tenants[0]

    # --- 1. first sweep ---------------------------------------------------------------------
    now = timezone.now()
    print(f"\n## 1. First sweep (now {now.isoformat()})\n")
    print(f"EXPLAIN (ANALYZE, BUFFERS), {first.slug}, before the first sweep:\n```")
    print(explain(first, now) + "\n```\n")
    print("| run | tenant | candidates | breached | escalated | statements | wall ms |")
    print("|---:|---|---:|---:|---:|---|---:|")
    totals = {"seconds": 0.0, "candidates": 0, "breached": 0, "escalated": 0, "statements": 0}
    for run in range(1, args.max_first_runs + 1):
        found = {t.slug: candidates(t, timezone.now()) for t in tenants}
        if run > 1 and not any(found.values()):
            break
        run_seconds = 0.0
        for tenant in tenants:
            result = sweep(tenant)
            run_seconds += result["seconds"]
            for key in ("seconds", "breached", "escalated", "statements"):
                totals[key] += result[key]
            totals["candidates"] += found[tenant.slug]
            print(
                f"| {run} | {tenant.slug} | {found[tenant.slug]} | {result['breached']} | "
                f"{result['escalated']} | {result['statements']} ({result['kinds']}) | "
                f"{result['seconds'] * 1000:.1f} |"
            )
        print(f"| {run} | **all** | {sum(found.values())} | | | | **{run_seconds * 1000:.1f}** |")
    print(
        f"\nfirst sweep in all: {totals['candidates']} candidates, {totals['breached']} "
        f"breaches, {totals['escalated']} escalations, {totals['statements']} statements, "
        f"{totals['seconds'] * 1000:.1f} ms"
    )

    # --- 2. steady state --------------------------------------------------------------------
    print(f"\n## 2. Steady state ({args.steady_runs} runs of all tenants, right after)\n")
    print(f"EXPLAIN (ANALYZE, BUFFERS), {first.slug}, steady state:\n```")
    print(explain(first, timezone.now()) + "\n```\n")
    per_run, per_tenant, breached, escalated, kinds = [], [], 0, 0, set()
    for _ in range(args.steady_runs):
        run_seconds = 0.0
        for tenant in tenants:
            result = sweep(tenant)
            run_seconds += result["seconds"]
            per_tenant.append(result["seconds"])
            breached += result["breached"]
            escalated += result["escalated"]
            if not result["escalated"]:
                kinds.add(f"{result['statements']} ({result['kinds']})")
        per_run.append(run_seconds)
    q = statistics.quantiles
    print("| | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for label, values in (("one tenant", per_tenant), ("all tenants (one beat)", per_run)):
        print(
            f"| {label} | {statistics.median(values) * 1000:.2f} | "
            f"{q(values, n=20)[-1] * 1000:.2f} | {max(values) * 1000:.2f} |"
        )
    print(
        f"\n{breached} breaches / {escalated} escalations meanwhile (tickets coming due in "
        f"real time); statements of a sweep that finds nothing: {', '.join(sorted(kinds))}"
    )

    # --- 3. trickle -------------------------------------------------------------------------
    print("\n## 3. Trickle (now moved forward, rolled back)\n")
    base = timezone.now()
    plan_at = base + timedelta(minutes=trickles[0])
    print(f"EXPLAIN (ANALYZE, BUFFERS), {first.slug}, now + {trickles[0]} min:\n```")
    print(explain(first, plan_at) + "\n```\n")
    print("| now + | candidates (all) | breached | escalated | statements | wall ms (all) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for minutes in trickles:
        at = base + timedelta(minutes=minutes)
        found = sum(candidates(t, at) for t in tenants)
        with transaction.atomic():
            results = [sweep(t, at) for t in tenants]
            transaction.set_rollback(True)
        print(
            f"| {minutes} min | {found} | {sum(r['breached'] for r in results)} | "
            f"{sum(r['escalated'] for r in results)} | "
            f"{sum(r['statements'] for r in results)} | "
            f"{sum(r['seconds'] for r in results) * 1000:.1f} |"
        )

    left = broker.dbsize()
    broker.flushdb()  # only the Celery messages of this run: the db was empty at the start
    print(f"\nload: {os.getloadavg()}; {left} Redis keys of this run's messages deleted")


if __name__ == "__main__":
    main()
