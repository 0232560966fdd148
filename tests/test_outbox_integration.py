"""The outbox with real processes: a Celery worker subprocess on Redis, a local SMTP server
(aiosmtpd), and the faults research/reliability.md §7 G names — a worker killed with SIGKILL
mid-send (R-G1) and a Redis restart that loses its queue (R-G2). After each, the system
drains and the reconciliation (tests/reconcile.py) finds every committed ticket with its email
row and every row finished: nothing accepted was lost.

The test process is the web side (API requests, publishing after commit, not eager); the
workers are subprocesses of the test settings on this test's database (tests/workers.py).
"""

import pytest
import redis
from django.utils import timezone

from config.celery import app
from notifications.models import EmailKind
from tenants.context import tenant_context
from tenants.models import Role
from tenants.tasks import outbox_sweep_task
from tests.notifications.helpers import deliveries
from tests.reconcile import reconcile
from tests.workers import RedisServer, SmtpServer, WorkerProcess, wait_for, worker_env
from tickets.models import Ticket

pytestmark = [
    pytest.mark.integration,
    # Committed data: the worker is another process. 'owner' is listed so the flush after the
    # test runs as the table owner.
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
]

QUEUE = "celery"  # the default queue, under this test run's key prefix
UNACKED = ("unacked", "unacked_index", "unacked_mutex")  # kombu's Redis bookkeeping


def _drop_broker_connections():
    # The producer pool keeps connections to the broker it was made for (and remembers which
    # queues it declared on them).
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def publishing():
    """This process publishes to the real broker after each commit (not eager)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def broker(publishing):
    """The broker of this test (the shared Redis under this run's key prefix, unless a test
    points it elsewhere): its queue emptied before, kombu's unacked bookkeeping (a killed
    worker's message) dropped after."""
    prefix = app.conf.broker_transport_options["global_keyprefix"]
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(QUEUE)
    yield prefix
    # A plain client: kombu's own adds the prefix to some commands and not to others.
    with redis.Redis.from_url(app.conf.broker_url) as client:
        client.delete(*(prefix + key for key in UNACKED))


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def workers(smtp, broker):
    """workers(**env) -> a started worker subprocess (stopped after the test)."""
    started: list[WorkerProcess] = []

    def start(*, broker_url: str | None = None, **env: str) -> WorkerProcess:
        worker = WorkerProcess(
            env=worker_env(email_url=smtp.url, broker_url=broker_url, **env), queue=QUEUE
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _create_ticket(client, tenant, subject: str) -> int:
    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/",
        {"subject": subject, "customer_email": "carol@example.test"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["number"]


def _statuses(tenant) -> list[str]:
    return [row.status for row in deliveries(tenant)]


def _all_sent(tenant, count: int):
    return lambda: _statuses(tenant) == ["sent"] * count


def test_a_ticket_email_reaches_the_smtp_server_through_a_real_worker(
    tenant, member, api_client, smtp, workers
):
    # given
    worker = workers()
    client = api_client(member(Role.AGENT))

    # when
    number = _create_ticket(client, tenant, "Printer on fire")

    # then
    wait_for(_all_sent(tenant, 1), what=f"the email row is sent\n{worker.output()}")
    [row] = deliveries(tenant)
    with tenant_context(tenant):
        thread_id = f"<ticket-{Ticket.objects.get(number=number).public_id}@tenantdesk.local>"
    [message] = smtp.mailbox.messages
    assert message["Subject"] == f"[#{number}] Received: Printer on fire"
    assert message["X-Envelope-To"] == "carol@example.test"
    assert message["Message-ID"] == row.message_id
    assert (message["In-Reply-To"], message["References"]) == (thread_id, thread_id)
    assert (row.kind, row.provider, row.provider_message_id) == (
        EmailKind.TICKET_RECEIVED,
        "primary:smtp",
        row.message_id,
    )
    assert row.attempts == 1


def test_a_worker_killed_mid_send_loses_nothing(tenant, member, api_client, smtp, workers):
    # given: the provider holds the message in DATA; the worker's lease (which the claiming
    # worker writes on the row) is short, so the sweep may take the row over soon after.
    smtp.mailbox.hold()
    first = workers(OUTBOX_LEASE_SECONDS="2")
    number = _create_ticket(api_client(member(Role.AGENT)), tenant, "Killed mid-send")
    wait_for(
        lambda: smtp.mailbox.waiting == 1 and _statuses(tenant) == ["sending"],
        what=f"the worker is mid-send\n{first.output()}",
    )

    # when: SIGKILL while the SMTP server has the message but the worker has no answer yet
    assert first.kill() < 0
    smtp.mailbox.release()
    second = workers(OUTBOX_LEASE_SECONDS="2")
    [row] = deliveries(tenant)
    wait_for(lambda: timezone.now() > row.lease_until, what="the dead worker's lease expired")
    outbox_sweep_task.delay()

    # then: sent, by the second attempt; the provider got the message once or twice (the
    # killed attempt may have reached it), always under the row's one Message-ID
    wait_for(_all_sent(tenant, 1), what=f"the swept row is sent\n{second.output()}")
    [row] = deliveries(tenant)
    copies = smtp.mailbox.with_message_id(row.message_id)
    assert 1 <= len(copies) <= 2
    assert len(smtp.mailbox.messages) == len(copies)
    assert {m["Subject"] for m in copies} == {f"[#{number}] Received: Killed mid-send"}
    assert (row.attempts, row.provider) == (2, "primary:smtp")
    assert reconcile().ok, reconcile()


@pytest.fixture
def private_redis(broker):
    """A redis-server of this test's own as the broker of this process (never the shared one:
    other tests use it); the shared one again afterwards."""
    server = RedisServer().start()
    saved = app.conf.broker_url
    app.conf.broker_url = server.url
    _drop_broker_connections()
    yield server
    server.stop()
    app.conf.broker_url = saved
    _drop_broker_connections()


def test_a_redis_restart_loses_nothing(tenant, member, api_client, private_redis, smtp, workers):
    # (private_redis first: it stops after the worker does)
    client = api_client(member(Role.AGENT))
    queue_key = app.conf.broker_transport_options["global_keyprefix"] + QUEUE
    # given: one ticket's task is queued in Redis (no worker yet) when Redis goes down,
    # without persistence: the message is gone
    numbers = [_create_ticket(client, tenant, "Queued, then lost")]
    assert private_redis.client().llen(queue_key) == 1
    private_redis.stop()

    # when: tickets keep coming while Redis is down (201 each; their rows wait in PostgreSQL),
    # then Redis comes back empty, a worker starts and the sweep runs
    numbers += [_create_ticket(client, tenant, f"While down {n}") for n in (1, 2)]
    assert _statuses(tenant) == ["pending"] * 3
    private_redis.start()
    _drop_broker_connections()
    # (no grace: these rows are seconds old, and their messages are known lost)
    worker = workers(broker_url=private_redis.url, OUTBOX_SWEEP_GRACE_SECONDS="0")
    outbox_sweep_task.delay()

    # then: every email arrives exactly once, every row is sent
    wait_for(_all_sent(tenant, 3), what=f"every row is sent\n{worker.output()}")
    subjects = sorted(m["Subject"] for m in smtp.mailbox.messages)
    assert subjects == sorted(
        [
            f"[#{numbers[0]}] Received: Queued, then lost",
            f"[#{numbers[1]}] Received: While down 1",
            f"[#{numbers[2]}] Received: While down 2",
        ]
    )
    assert sorted(m["Message-ID"] for m in smtp.mailbox.messages) == sorted(
        row.message_id for row in deliveries(tenant)
    )
    assert reconcile().ok, reconcile()
