""" "Never twice" for outbox deliveries, with real threads and real transactions: two workers
handed the same row (a duplicate message, a sweep racing the fast path) send it once."""

import threading

import pytest

from notifications import delivery
from notifications.models import EmailDelivery
from notifications.tasks import email_delivery_send_task
from tenants.context import tenant_context
from tenants.models import Role
from tests.concurrency import race
from tests.notifications.recipes import email_delivery_recipe

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


@pytest.fixture
def row(tenant, member):
    newcomer = member(Role.AGENT)
    with tenant_context(tenant):
        return email_delivery_recipe.make(
            tenant=tenant,
            kind="member_added",
            recipient=newcomer.user.email,
            recipient_user=newcomer.user,
        )


@pytest.fixture
def slow_send(monkeypatch):
    """The provider call of the first worker to get there waits until the other worker has
    tried to claim the row, so both are in flight at once; every call is counted."""
    sent, claimed_elsewhere = [], threading.Event()
    real_send = delivery.providers.send

    def send(message):
        sent.append(message.to)
        claimed_elsewhere.wait(timeout=10)
        return real_send(message)

    monkeypatch.setattr(delivery.providers, "send", send)
    return sent, claimed_elsewhere


def test_two_workers_with_the_same_row_send_it_once(tenant, row, slow_send, mailoutbox):
    sent, claimed_elsewhere = slow_send

    def worker():
        try:
            return email_delivery_send_task.apply(
                kwargs={"tenant_id": tenant.pk, "row_id": row.pk}
            ).get(disable_sync_subtasks=False)  # eager, in a thread: nothing blocks
        finally:
            claimed_elsewhere.set()  # the worker that found nothing to do lets the other go on

    results = race(worker, worker)

    assert sorted(results, key=str) == [None, "sent"]
    assert sent == [[row.recipient]]
    with tenant_context(tenant):
        assert EmailDelivery.objects.get(pk=row.pk).attempts == 1


def test_ten_messages_for_one_row_send_it_once(tenant, row, mailoutbox):
    results = race(
        *[
            lambda: email_delivery_send_task.apply(
                kwargs={"tenant_id": tenant.pk, "row_id": row.pk}
            ).get(disable_sync_subtasks=False)  # eager, in a thread: nothing blocks
        ]
        * 10
    )

    assert results.count("sent") == 1
    assert results.count(None) == 9
    assert len(mailoutbox) == 1
