"""Webhook benchmark: deliveries per second to a local receiver with 2 worker processes, and
the delay from a ticket's commit to the first attempt reaching the receiver. Runs on a
throwaway database and a private Redis; nothing else is touched.

    .venv/bin/python bench/webhooks.py [--rows 2000] [--tenants 4] [--slow-ms 50]
                                       [--tickets 200] [--rate 5]

(after `make services` once: PostgreSQL up, the roles created, redis-server on PATH).

Every tenant has one active endpoint subscribed to "ticket.created" only, pointing at a
threaded HTTP receiver in this process (http.server.ThreadingHTTPServer on 127.0.0.1, which
answers 204, optionally after sleeping). The notifications subscribers are disconnected
(tenants.events.unsubscribe) so a ticket create writes only its webhook row and the worker
runs only webhook tasks; the webhook fan-out itself is the production one.

1. Throughput: `--rows` tickets across `--tenants` tenants, created through
   tickets.services.ticket_create (one transaction each) while no worker runs; the fan-out
   writes one WebhookDelivery per ticket and publishes its task on commit. The queued
   messages are dropped, one Celery worker with 2 processes (prefork, --concurrency 2, as
   scripts/run.sh runs it) is started and, once it answers a ping, every row's task is
   published. Measured: from the first publish until no row is pending or sending. Each
   delivery is the whole path: claim (FOR UPDATE SKIP LOCKED, lease, commit), prepare (the
   endpoint read, its secret decrypted), sign, POST through integrations.http (SSRF guard, a
   new connection per request), log the attempt, record the endpoint's success (a row lock
   on the endpoint), record the row. Run twice: the receiver answering at once, then after
   `--slow-ms` per request (the rows put back to pending in between, as outbox_redeliver
   does), to see the concurrency-bound rate.
2. Commit → first attempt: the same worker, idle; `--tickets` tickets created one at a time
   at `--rate` per second in one tenant, a transaction each. The commit time is taken by an
   on_commit callback registered before the ticket is created (it runs first, right after
   COMMIT returns, before the fan-out's publish); the receiver stamps each request when its
   handler starts. Matched by webhook-id = the delivery's event_id, read after the commit.
   Both clocks are time.perf_counter() in this process.

Every request the receiver got is verified afterwards with the reference standardwebhooks
library (signature, timestamp), and duplicates are counted.

Env: BENCH_WEBHOOKS_DB (default tenantdesk_bench_webhooks; dropped and re-created each run,
dropped at the end unless --keep-db), PG credentials as in bench/run_tickets.sh.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from outbox import (  # bench/ is not a package: its directory is on sys.path
    ROOT,
    _create_database,
    _drop_database,
    _environment,
    _free_port,
    _percentile,
    _purge_queue,
    _start_redis,
    _start_worker,
    _wait,
)

# --- Receiver ---------------------------------------------------------------------------------


class Received:
    """What the receiver got: (arrival perf_counter, headers, body) per request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[float, dict[str, str], bytes]] = []
        self.delay = 0.0  # seconds the handler sleeps before answering

    def clear(self) -> None:
        with self.lock:
            self.requests = []

    def arrivals(self) -> dict[str, float]:
        """webhook-id → first arrival."""
        first: dict[str, float] = {}
        with self.lock:
            for at, headers, _ in self.requests:
                first.setdefault(headers.get("webhook-id", ""), at)
        return first


def _receiver(received: Received) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            at = time.perf_counter()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with received.lock:
                received.requests.append((at, headers, body))
            if received.delay:
                time.sleep(received.delay)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _verify(received: Received, secrets_by_tenant: dict[str, str]) -> dict[str, int]:
    """Check every request with the reference library (after the timing)."""
    from standardwebhooks import Webhook

    counts = {"requests": 0, "verified": 0, "distinct": 0}
    ids = set()
    with received.lock:
        requests = list(received.requests)
    for _, headers, body in requests:
        counts["requests"] += 1
        ids.add(headers.get("webhook-id"))
        tenant = json.loads(body)["data"]["event"]["tenant"]
        try:
            Webhook(secrets_by_tenant[tenant]).verify(body, headers)
        except Exception:  # counted, not raised: the report says how many
            continue
        counts["verified"] += 1
    counts["distinct"] = len(ids)
    return counts


# --- Data -------------------------------------------------------------------------------------


def _tenants(tenants_n: int, prefix: str, url: str) -> tuple[list, dict[str, str]]:
    """Tenants with an owner and one endpoint on "ticket.created" each (events silenced)."""
    from integrations.models import WebhookEndpoint
    from integrations.webhooks.signing import secret_generate
    from tenants import events
    from tenants.access import Actor
    from tenants.context import tenant_context
    from tenants.models import User
    from tenants.services import tenant_create

    tenants, secrets_by_slug = [], {}
    with events.silenced():
        for index in range(1, tenants_n + 1):
            owner = User.objects.create_user(
                email=f"owner{index}@{prefix}.test", password=None, name=f"Owner {index}"
            )
            tenant = tenant_create(
                actor=Actor(user=owner), slug=f"{prefix}-{index}", name=f"Bench {index}"
            )
            secret = secret_generate()
            with tenant_context(tenant):
                WebhookEndpoint.objects.create(
                    tenant=tenant, url=url, events=["ticket.created"], secret=secret
                )
            tenants.append(tenant)
            secrets_by_slug[tenant.slug] = secret
    return tenants, secrets_by_slug


def _create_ticket(tenant, index: int, prefix: str, on_commit=None):
    from django.db import transaction

    from tenants.access import SYSTEM
    from tenants.context import tenant_context
    from tickets.services import ticket_create

    with transaction.atomic(), tenant_context(tenant):
        if on_commit is not None:
            transaction.on_commit(on_commit)  # first in line: runs right after COMMIT
        return ticket_create(
            tenant=tenant,
            actor=SYSTEM,
            subject=f"Benchmark ticket {index}",
            customer_email=f"customer{index % 500}@{prefix}.test",
        )


def _rows(tenants) -> list[tuple[int, int]]:
    from integrations.models import WebhookDelivery
    from tenants.context import tenant_context

    found = []
    for tenant in tenants:
        with tenant_context(tenant):
            found += [
                (tenant.pk, pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)
            ]
    return found


def _status_counts(tenants) -> dict[str, int]:
    from django.db.models import Count

    from integrations.models import WebhookDelivery
    from tenants.context import tenant_context

    counts: dict[str, int] = {}
    for tenant in tenants:
        with tenant_context(tenant):
            for row in WebhookDelivery.objects.values("status").annotate(n=Count("pk")):
                counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
    return counts


def _back_to_pending(tenants) -> None:
    """Every row due again from scratch (what outbox_redeliver does to one row)."""
    from django.utils import timezone

    from integrations.models import WebhookDelivery
    from tenants.context import tenant_context

    now = timezone.now()
    for tenant in tenants:
        with tenant_context(tenant):
            WebhookDelivery.objects.update(
                status="pending",
                attempts=0,
                next_attempt_at=now,
                lease_until=None,
                finished_at=None,
                last_error="",
                updated_at=now,
            )


# --- 1. Throughput ----------------------------------------------------------------------------


def throughput(tenants, received: Received, delay_s: float) -> dict:
    from config.celery import app
    from integrations.tasks import webhook_delivery_send_task

    rows = _rows(tenants)
    received.clear()
    received.delay = delay_s
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for tenant_id, row_id in rows:
            webhook_delivery_send_task.apply_async(
                kwargs={"tenant_id": tenant_id, "row_id": row_id}, producer=producer
            )
    published = time.perf_counter() - started

    def finished() -> bool:
        counts = _status_counts(tenants)
        return counts.get("pending", 0) + counts.get("sending", 0) == 0

    _wait(finished, "every row is finished", timeout=900, interval=0.25)
    elapsed = time.perf_counter() - started
    received.delay = 0.0
    return {
        "rows": len(rows),
        "delay_ms": delay_s * 1000,
        "load": load,
        "publish_s": published,
        "elapsed_s": elapsed,
        "statuses": _status_counts(tenants),
    }


# --- 2. Commit → first attempt ----------------------------------------------------------------


def commit_delay(tenant, received: Received, tickets: int, rate: float, prefix: str) -> dict:
    from integrations.models import WebhookDelivery
    from tenants.context import tenant_context

    received.clear()
    load = os.getloadavg()[0]
    committed: dict[str, tuple[float, float]] = {}  # event id → (on_commit, after return)
    interval = 1.0 / rate
    start = time.perf_counter()
    for index in range(tickets):
        pause = start + index * interval - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        stamp: list[float] = []
        ticket = _create_ticket(
            tenant,
            100_000 + index,
            prefix,
            on_commit=lambda stamp=stamp: stamp.append(time.perf_counter()),
        )
        returned = time.perf_counter()
        with tenant_context(tenant):
            event_id = WebhookDelivery.objects.get(ticket_number=ticket.number).event_id
        committed[str(event_id)] = (stamp[0], returned)
    late = (time.perf_counter() - start) - tickets * interval  # creates falling behind the rate

    _wait(lambda: len(received.arrivals()) >= tickets, "every ticket's webhook arrived", 120)
    arrivals = received.arrivals()
    delays = [(arrivals[eid] - at) * 1000 for eid, (at, _) in committed.items() if eid in arrivals]
    from_return = [
        (arrivals[eid] - back) * 1000 for eid, (_, back) in committed.items() if eid in arrivals
    ]
    publish_ms = [(back - at) * 1000 for at, back in committed.values()]
    return {
        "tickets": tickets,
        "rate": rate,
        "load": load,
        "matched": len(delays),
        "delays": delays,
        "from_return": from_return,
        "publish_ms": publish_ms,
        "late_s": late,
        "statuses": _status_counts([tenant]),
    }


# --- 3. One delivery, in-process ---------------------------------------------------------------


def one_delivery(tenant, received: Received, count: int) -> dict:
    """`count` of the tenant's rows put back to pending and delivered one after another in this
    process (the task called directly: TenantTask.__call__, outbox_deliver, the same code the
    worker runs), counting queries and commits per delivery."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations.models import WebhookAttempt, WebhookDelivery
    from integrations.tasks import webhook_delivery_send_task
    from tenants.context import tenant_context

    _back_to_pending([tenant])
    with tenant_context(tenant):
        ids = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True)[:count])
        before = WebhookAttempt.objects.count()
    received.clear()
    timings, queries, commits = [], [], []
    for row_id in ids:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            status = webhook_delivery_send_task(tenant_id=tenant.pk, row_id=row_id)
            timings.append((time.perf_counter() - started) * 1000)
        if status != "sent":
            raise SystemExit(f"in-process delivery of row {row_id}: {status}")
        statements = [q["sql"].strip().upper() for q in captured.captured_queries]
        commits.append(sum(sql.startswith("COMMIT") for sql in statements))
        queries.append(len(statements))
    with tenant_context(tenant):
        latencies = list(
            WebhookAttempt.objects.order_by("pk")[before:].values_list("latency_ms", flat=True)
        )
    return {
        "count": len(ids),
        "ms": timings,
        "queries": queries,
        "commits": commits,
        "http_ms": latencies,
    }


# --- Main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="deliveries to send")
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--slow-ms", type=float, default=50, help="slow receiver (0: skip)")
    parser.add_argument("--tickets", type=int, default=200, help="tickets for the delay")
    parser.add_argument("--rate", type=float, default=5.0, help="tickets per second")
    parser.add_argument("--profile", type=int, default=50, help="in-process deliveries")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    os.chdir(ROOT)
    database = os.environ.get("BENCH_WEBHOOKS_DB", "tenantdesk_bench_webhooks")
    redis_port = _free_port()
    from cryptography.fernet import Fernet

    os.environ.update(_environment(database, f"redis://127.0.0.1:{redis_port}/0", _free_port()))
    os.environ.update(
        {
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            # A local receiver, as in development: never in production.
            "OUTBOUND_ALLOW_LOOPBACK": "1",
            "OUTBOUND_ALLOW_HTTP": "1",
        }
    )
    print(
        f"== database {database} (re-created), Redis :{redis_port}; load {os.getloadavg()[0]:.2f}",
        file=sys.stderr,
    )
    _create_database(database)
    redis_server = _start_redis(redis_port)

    import django

    django.setup()
    from django.db import connections

    from notifications.subscribers import SUBSCRIPTIONS
    from tenants import events

    for event, handler in SUBSCRIPTIONS:
        events.unsubscribe(event, handler)

    received = Received()
    server = _receiver(received)
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    prefix = "bench-webhooks"
    descriptor, log_name = tempfile.mkstemp(prefix="bench-worker-", suffix=".log")
    os.close(descriptor)
    log = Path(log_name)
    worker = None
    results, checks = [], []
    try:
        tenants, secrets_by_slug = _tenants(args.tenants, prefix, url)
        seeding = time.perf_counter()
        for index in range(args.rows):
            _create_ticket(tenants[index % args.tenants], index, prefix)
        print(
            f"== seeded {args.rows} tickets in {time.perf_counter() - seeding:.1f} s; "
            f"load {os.getloadavg()[0]:.2f}",
            file=sys.stderr,
        )
        _purge_queue()  # the messages the creates published: each run publishes its own
        worker = _start_worker(args.concurrency, log)
        for delay_ms in [0.0] + ([args.slow_ms] if args.slow_ms else []):
            if results:
                _back_to_pending(tenants)
            results.append(throughput(tenants, received, delay_ms / 1000))
            checks.append(_verify(received, secrets_by_slug))
            print(f"== throughput, receiver +{delay_ms:.0f} ms: done", file=sys.stderr)
        time.sleep(2)  # the worker idle
        delay = commit_delay(tenants[0], received, args.tickets, args.rate, prefix)
        delay_check = _verify(received, secrets_by_slug)
        single = one_delivery(tenants[-1], received, args.profile) if args.profile else None
    except BaseException:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if worker is not None:
            import signal

            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        server.shutdown()
        server.server_close()
        connections.close_all()
        redis_server.terminate()
        redis_server.wait(timeout=10)
        if not args.keep_db:
            _drop_database(database)
        worker_log = log.read_text(errors="replace").strip()
        log.unlink(missing_ok=True)
    problems = [
        line
        for line in worker_log.splitlines()
        if any(word in line for word in ("ERROR", "CRITICAL", "Traceback", "WARNING/"))
    ]
    if problems:
        print("== worker log, problems:\n" + "\n".join(problems[-40:]), file=sys.stderr)

    print(
        f"\n### Webhook throughput ({args.concurrency} worker processes, local receiver, "
        f"{args.tenants} tenants)\n"
    )
    print(
        "| receiver | load | rows | publish (s) | all finished (s) | deliveries/s | statuses "
        "| requests (distinct, verified) |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for result, check in zip(results, checks, strict=True):
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items()))
        print(
            f"| 204 after {result['delay_ms']:.0f} ms | {result['load']:.2f} | {result['rows']} | "
            f"{result['publish_s']:.2f} | {result['elapsed_s']:.2f} | "
            f"{result['rows'] / result['elapsed_s']:.1f} | {statuses} | {check['requests']} "
            f"({check['distinct']}, {check['verified']}) |"
        )

    print(
        f"\n### Commit → first attempt ({delay['tickets']} tickets at {delay['rate']:g}/s, "
        f"worker idle; load {delay['load']:.2f})\n"
    )
    print("| measured from | matched | p50 ms | p95 ms | max ms | mean ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, values in (
        ("COMMIT returned (first on_commit)", delay["delays"]),
        ("the create's transaction block returned", delay["from_return"]),
    ):
        print(
            f"| {label} | {len(values)} | {_percentile(values, 0.5):.1f} | "
            f"{_percentile(values, 0.95):.1f} | {max(values):.1f} | "
            f"{sum(values) / len(values):.1f} |"
        )
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(delay["statuses"].items()))
    print(
        f"\nBetween the two stamps (the fan-out's publish to Redis, in on_commit): p50 "
        f"{_percentile(delay['publish_ms'], 0.5):.2f} ms, max {max(delay['publish_ms']):.2f} ms. "
        f"Creates behind schedule at the end: {delay['late_s']:.2f} s. Statuses: {statuses}. "
        f"Requests {delay_check['requests']} (distinct {delay_check['distinct']}, verified "
        f"{delay_check['verified']})."
    )

    if single:
        print(
            f"\n### One delivery in-process ({single['count']} in a row, the bench process; "
            "the worker idle)\n"
        )
        print("| | p50 | mean | max |")
        print("|---|---:|---:|---:|")
        for label, values, unit in (
            ("whole task (ms)", single["ms"], ""),
            ("of which HTTP (attempt latency_ms)", single["http_ms"], ""),
            ("SQL statements", single["queries"], ""),
            ("of which COMMIT", single["commits"], ""),
        ):
            print(
                f"| {label} | {_percentile(values, 0.5):.1f}{unit} | "
                f"{sum(values) / len(values):.1f} | {max(values):.1f} |"
            )


if __name__ == "__main__":
    main()
