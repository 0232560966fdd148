"""Creating a ticket succeeds with the broker unreachable; its email goes out once the broker
is back (the outbox row waits in PostgreSQL, the sweep sends it)."""

import logging

import pytest
from kombu.exceptions import OperationalError

from config.celery import app
from notifications.tasks import email_delivery_send_task
from tenants.context import tenant_context
from tenants.models import Role
from tenants.outbox import outbox_sweep
from tenants.tasks_base import _BrokerBreaker
from tests.notifications.helpers import deliveries

pytestmark = pytest.mark.django_db


def _create(client, tenant, subject):
    return client.post(
        f"/api/v1/t/{tenant.slug}/tickets/",
        {"subject": subject, "customer_email": "carol@example.test"},
        format="json",
    )


@pytest.fixture
def broker_unreachable(monkeypatch):
    """Publishing fails the way kombu fails when Redis refuses the connection; every attempt
    is counted."""
    attempts = []

    def refuse(**kwargs):
        attempts.append(kwargs)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(email_delivery_send_task, "delay", refuse)
    return attempts


def test_a_ticket_is_created_with_the_broker_down_and_emailed_once_it_is_back(
    tenant,
    member,
    api_client,
    broker_unreachable,
    mailoutbox,
    django_capture_on_commit_callbacks,
    monkeypatch,
    settings,
):
    client = api_client(member(Role.AGENT))

    with django_capture_on_commit_callbacks(execute=True):
        first = _create(client, tenant, "One")
    with django_capture_on_commit_callbacks(execute=True):
        second = _create(client, tenant, "Two")

    assert (first.status_code, second.status_code) == (201, 201)
    assert [row.status for row in deliveries(tenant)] == ["pending", "pending"]
    # The first failure opened the breaker: the second request did not wait on the broker.
    assert len(broker_unreachable) == 1
    assert mailoutbox == []

    monkeypatch.undo()  # the broker is back
    _BrokerBreaker.reset()
    settings.OUTBOX_SWEEP_GRACE_SECONDS = 0  # the sweep runs at once here
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        outbox_sweep(tenant=tenant)

    assert sorted(m.subject for m in mailoutbox) == [
        f"[#{first.json()['number']}] Received: One",
        f"[#{second.json()['number']}] Received: Two",
    ]
    assert [row.status for row in deliveries(tenant)] == ["sent", "sent"]


@pytest.fixture
def dead_broker():
    """Not eager: the real kombu publish, to a port where nothing listens."""
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, "redis://127.0.0.1:1/0"
    _drop_connections()
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    _drop_connections()


def _drop_connections():
    # The producer pool keeps connections to the broker it was made for.
    app._pool = None
    app.amqp._producer_pool = None


def test_a_real_publish_to_a_dead_broker_does_not_fail_the_request(
    tenant, member, api_client, django_capture_on_commit_callbacks, dead_broker, caplog
):
    client = api_client(member(Role.AGENT))

    with caplog.at_level(logging.WARNING, logger="tenants.tasks_base"):
        with django_capture_on_commit_callbacks(execute=True):
            response = _create(client, tenant, "Lost message")

    assert response.status_code == 201
    assert [row.status for row in deliveries(tenant)] == ["pending"]
    assert "task.enqueue_failed" in [r.getMessage() for r in caplog.records]
    assert _BrokerBreaker.is_open()
