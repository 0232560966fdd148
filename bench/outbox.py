"""Outbox benchmark (issue 8, "Measure"): email throughput and the cost of notifications on
ticket create. Runs on a throwaway database and a private Redis; nothing else is touched.

    .venv/bin/python bench/outbox.py [--rows 2000] [--tenants 4] [--requests 300]

(after `make services` once: PostgreSQL up, the roles created, redis-server on PATH).

1. Throughput: `--rows` ticket_received email rows across `--tenants` tenants, written by the
   notifications subscribers on ticket create (the production path) while no worker runs; the
   queued messages are dropped, then one Celery worker with 2 processes (prefork,
   --concurrency 2, as scripts/run.sh runs it) is started and, once it answers a ping, every
   row's delivery task is published. Measured: from the first publish until every row is
   finished, rows/s, to a local SMTP server (aiosmtpd, in this process). Each delivery is the
   whole outbox path: claim (FOR UPDATE SKIP LOCKED, lease, commit), render the templates,
   SMTP (a new connection per message, as Django's backend does), record.
2. Added latency on ticket create: POST /api/v1/t/<slug>/tickets/ through Django's test client
   (in-process, full middleware and DRF stack, no HTTP server; DEBUG off), `--requests` with
   the notifications subscribers connected and as many disconnected (tenants.events
   subscribe/unsubscribe), interleaved one by one so machine load hits both alike. Connected,
   a create also writes the email row and publishes its task to Redis after the commit.

Env: BENCH_OUTBOX_DB (default tenantdesk_bench_outbox; dropped and re-created each run, dropped
at the end unless --keep-db), PG credentials as in bench/run_tickets.sh.
"""

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(predicate, what: str, timeout: float = 60.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting until {what}")
        time.sleep(interval)


# --- Environment, database, Redis, SMTP -------------------------------------------------------


def _environment(database: str, redis_url: str, smtp_port: int) -> dict[str, str]:
    owner = os.environ.get("BENCH_PG_OWNER", "tenantdesk_owner:tenantdesk_owner")
    app = os.environ.get("BENCH_PG_APP", "tenantdesk_app:tenantdesk_app")
    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1:5432")
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{app}@{host}/{database}",
        "DATABASE_OWNER_URL": f"postgres://{owner}@{host}/{database}",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CACHE_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "FALLBACK_EMAIL_URL": "",
        # Quotas would turn the measurement into 429s; throttling itself still runs (Redis).
        "THROTTLE_USER_RATE": "10000000/min",
        "THROTTLE_TENANT_RATE": "10000000/min",
    }


def _drop_database(name: str) -> None:
    import psycopg

    owner = os.environ["DATABASE_OWNER_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(owner, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create_database(name: str) -> None:
    _drop_database(name)
    subprocess.run([PY, "scripts/db_bootstrap.py"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base"},
    )


def _start_redis(port: int) -> subprocess.Popen:
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir()]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    def answers() -> bool:
        try:
            return bool(redis.Redis(port=port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    _wait(answers, f"the private Redis answers on port {port}")
    return process


class Counter:
    """aiosmtpd handler: counts messages and Message-IDs (duplicates show up)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        with self.lock:
            self.message_ids.append(message_id)
        return "250 OK"


# --- 1. Throughput ----------------------------------------------------------------------------


def _seed(tenants_n: int, rows: int, prefix: str) -> list:
    """Tenants with an owner each; `rows` tickets spread over them, created through the service
    with the notifications subscribers connected (each writes its ticket_received row)."""
    from django.db import transaction

    from tenants import events
    from tenants.access import SYSTEM, Actor
    from tenants.context import tenant_context
    from tenants.models import User
    from tenants.services import tenant_create
    from tickets.services import ticket_create

    tenants = []
    with events.silenced():
        for index in range(1, tenants_n + 1):
            owner = User.objects.create_user(
                email=f"owner{index}@{prefix}.test", password=None, name=f"Owner {index}"
            )
            tenants.append(
                tenant_create(
                    actor=Actor(user=owner), slug=f"{prefix}-{index}", name=f"Bench {index}"
                )
            )
    for index in range(rows):
        tenant = tenants[index % tenants_n]
        with transaction.atomic(), tenant_context(tenant):
            ticket_create(
                tenant=tenant,
                actor=SYSTEM,
                subject=f"Benchmark ticket {index}",
                customer_email=f"customer{index % 500}@{prefix}.test",
            )
    return tenants


def _rows(tenants) -> list[tuple[int, int]]:
    from notifications.models import EmailDelivery, EmailKind
    from tenants.context import tenant_context

    found = []
    for tenant in tenants:
        with tenant_context(tenant):
            ids = EmailDelivery.objects.filter(kind=EmailKind.TICKET_RECEIVED).values_list(
                "pk", flat=True
            )
            found += [(tenant.pk, pk) for pk in ids]
    return found


def _status_counts(tenants) -> dict[str, int]:
    from django.db.models import Count

    from notifications.models import EmailDelivery
    from tenants.context import tenant_context

    counts: dict[str, int] = {}
    for tenant in tenants:
        with tenant_context(tenant):
            for row in EmailDelivery.objects.values("status").annotate(n=Count("pk")):
                counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
    return counts


def _purge_queue() -> None:
    from config.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)


def _start_worker(concurrency: int, log: Path) -> subprocess.Popen:
    from config.celery import app

    command = [PY, "-m", "celery", "-A", "config", "worker", "--pool", "prefork"]
    command += ["--concurrency", str(concurrency), "-n", f"bench-{secrets.token_hex(4)}@%h"]
    command += ["--without-mingle", "--without-gossip", "--loglevel", "WARNING"]
    with log.open("wb") as output:
        worker = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    _wait(lambda: bool(app.control.ping(timeout=0.5)), "the worker answers a ping")
    return worker


def throughput(tenants, concurrency: int, log: Path, smtp: Counter) -> dict:
    from config.celery import app
    from notifications.tasks import email_delivery_send_task

    rows = _rows(tenants)
    _purge_queue()  # the messages the creates published: this run publishes its own
    worker = _start_worker(concurrency, log)
    try:
        started = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for tenant_id, row_id in rows:
                email_delivery_send_task.apply_async(
                    kwargs={"tenant_id": tenant_id, "row_id": row_id}, producer=producer
                )
        published = time.perf_counter() - started

        def finished() -> bool:
            counts = _status_counts(tenants)
            return counts.get("pending", 0) + counts.get("sending", 0) == 0

        _wait(finished, "every row is finished", timeout=600, interval=0.25)
        elapsed = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    return {
        "rows": len(rows),
        "publish_s": published,
        "elapsed_s": elapsed,
        "statuses": _status_counts(tenants),
        "smtp_messages": len(smtp.message_ids),
        "smtp_distinct": len(set(smtp.message_ids)),
    }


# --- 2. Latency on ticket create --------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency(tenant, requests: int, warmup: int = 20) -> dict[str, list[float]]:
    from django.test import Client

    from notifications.subscribers import SUBSCRIPTIONS
    from tenants import events
    from tenants.models import Membership, Role
    from tenants.services import auth_token_create

    owner = Membership.objects.get(tenant=tenant, role=Role.OWNER).user
    _, token = auth_token_create(user=owner)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    path = f"/api/v1/t/{tenant.slug}/tickets/"

    def connect(on: bool) -> None:
        for event, handler in SUBSCRIPTIONS:
            if on:
                events.subscribe(event)(handler)
            else:
                events.unsubscribe(event, handler)

    timings: dict[str, list[float]] = {"connected": [], "disconnected": []}
    try:
        for index in range(2 * (requests + warmup)):
            mode = "connected" if index % 2 == 0 else "disconnected"
            connect(mode == "connected")
            body = {"subject": f"Latency {index}", "customer_email": f"lat{index % 50}@b.test"}
            started = time.perf_counter()
            response = client.post(path, body, content_type="application/json")
            took = (time.perf_counter() - started) * 1000
            if response.status_code != 201:
                raise SystemExit(f"POST {path}: {response.status_code} {response.content[:300]}")
            if index >= 2 * warmup:
                timings[mode].append(took)
    finally:
        connect(True)
    return timings


# --- Main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="email rows to deliver")
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--requests", type=int, default=300, help="creates per mode")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    os.chdir(ROOT)
    database = os.environ.get("BENCH_OUTBOX_DB", "tenantdesk_bench_outbox")
    redis_port, smtp_port = _free_port(), _free_port()
    os.environ.update(_environment(database, f"redis://127.0.0.1:{redis_port}/0", smtp_port))
    print(
        f"== database {database} (re-created), Redis :{redis_port}, SMTP :{smtp_port}; "
        f"load {os.getloadavg()[0]:.2f}",
        file=sys.stderr,
    )
    _create_database(database)
    redis_server = _start_redis(redis_port)

    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.db import connections

    smtp = Counter()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    descriptor, log_name = tempfile.mkstemp(prefix="bench-worker-", suffix=".log")
    os.close(descriptor)
    log = Path(log_name)
    try:
        seeding = time.perf_counter()
        tenants = _seed(args.tenants, args.rows, "bench-outbox")
        print(
            f"== seeded {args.rows} tickets in {time.perf_counter() - seeding:.1f} s; "
            f"load {os.getloadavg()[0]:.2f}",
            file=sys.stderr,
        )
        result = throughput(tenants, args.concurrency, log, smtp)
        load_a = os.getloadavg()[0]
        timings = latency(tenants[0], args.requests)
        load_b = os.getloadavg()[0]
    except BaseException:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        controller.stop()
        connections.close_all()
        redis_server.terminate()
        redis_server.wait(timeout=10)
        if not args.keep_db:
            _drop_database(database)
        log.unlink(missing_ok=True)

    rate = result["rows"] / result["elapsed_s"]
    print(
        f"\n### Outbox throughput ({args.concurrency} worker processes, local SMTP; "
        f"load {load_a:.2f})\n"
    )
    print(
        "| rows | tenants | publish (s) | all finished (s) | rows/s | statuses | SMTP messages "
        "(distinct) |"
    )
    print("|---:|---:|---:|---:|---:|---|---:|")
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items()))
    print(
        f"| {result['rows']} | {args.tenants} | {result['publish_s']:.2f} | "
        f"{result['elapsed_s']:.2f} | {rate:.0f} | {statuses} | {result['smtp_messages']} "
        f"({result['smtp_distinct']}) |"
    )
    print(f"\n### Ticket create latency (Django test client, in-process; load {load_b:.2f})\n")
    print("| notifications | requests | p50 ms | p95 ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    for mode, values in timings.items():
        print(
            f"| {mode} | {len(values)} | {_percentile(values, 0.5):.1f} | "
            f"{_percentile(values, 0.95):.1f} | {statistics.fmean(values):.1f} |"
        )
    on, off = timings["connected"], timings["disconnected"]
    print(
        f"| added | | {_percentile(on, 0.5) - _percentile(off, 0.5):+.1f} | "
        f"{_percentile(on, 0.95) - _percentile(off, 0.95):+.1f} | "
        f"{statistics.fmean(on) - statistics.fmean(off):+.1f} |"
    )


if __name__ == "__main__":
    main()
