"""A real Celery worker on the real Redis broker (not eager mode): an invitation created over
the API is committed, its task is published on commit, consumed by the worker, run inside the
right tenant; the worker mints the token, commits its hash and emails the link, which then
works."""

import logging
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connections

from config.celery import app
from tenants.models import Membership, Role
from tests.conftest import PASSWORD
from tests.tenants.invitations import token_from_email

pytestmark = [
    pytest.mark.integration,
    # Committed data: the worker thread has its own connection and cannot see a test
    # transaction. 'owner' is listed so the flush after the test runs as the table owner.
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
]


@pytest.fixture
def real_worker(monkeypatch):
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    # Connections opened by the worker thread close after each task, so nothing holds the
    # test database open when it is dropped.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker
    app.conf.task_always_eager = eager


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_invitation_email_goes_through_a_real_worker(
    real_worker, tenant, member, api_client, anon_client, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    caplog.set_level(logging.INFO, logger="notifications.emails")
    mail.outbox = []
    owner = member(Role.OWNER)

    response = api_client(owner).post(
        f"/api/v1/t/{tenant.slug}/invitations/",
        {"email": "newcomer@example.test", "role": "agent"},
        format="json",
        HTTP_X_REQUEST_ID="req-integration-1",
    )

    assert response.status_code == 201, response.content
    assert _wait_for(lambda: len(mail.outbox) == 1), "the worker did not send the email"
    assert mail.outbox[0].to == ["newcomer@example.test"]
    assert tenant.name not in mail.outbox[0].subject
    # The worker's log line carries the tenant and the id of the request that enqueued it.
    [record] = [r for r in caplog.records if r.getMessage() == "invitation.sent"]
    assert (record.tenant_id, record.request_id) == (tenant.pk, "req-integration-1")
    assert record.user_id == str(owner.user.public_id)
    # The token the worker minted (and committed as a hash) is the one in the link.
    accepted = anon_client.post(
        "/api/v1/auth/invitations/accept/",
        {"token": token_from_email(mail.outbox[0]), "password": PASSWORD, "name": "New Comer"},
        format="json",
    )
    assert accepted.status_code == 201, accepted.content
    assert Membership.objects.filter(tenant=tenant, user__email="newcomer@example.test").exists()


def test_the_sla_sweep_runs_through_a_real_worker(real_worker, tenant):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.context import tenant_context
    from tests.tickets.helpers import make_ticket
    from tickets.models import Ticket
    from tickets.tasks import sla_sweep_task

    ticket = make_ticket(tenant, priority="high")
    with tenant_context(tenant):  # opened five hours ago: its first response was due at 4 h
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=timezone.now() - timedelta(hours=5),
            first_response_due_at=timezone.now() - timedelta(hours=1),
        )

    sla_sweep_task.delay()  # the beat job: fans out to the tenant's sweep on the worker

    def escalated():
        with tenant_context(tenant):
            return Ticket.objects.get(pk=ticket.pk).escalation_level == 1

    assert _wait_for(escalated), "the worker did not escalate the ticket"
    with tenant_context(tenant):
        stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.priority, stored.sla_breached) == ("critical", True)
