"""The outbox machinery (tenants.outbox) on a real outbox table: claim, lease, outcomes,
backoff, the fenced record, redelivery and the sweep. The delivery steps are test callables;
the email specifics are tested in tests/notifications/."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import CrmSync, WebhookDelivery
from notifications.models import AccountEmail, EmailDelivery
from tenants import outbox
from tenants.context import tenant_context
from tenants.models import Role
from tenants.outbox import PermanentError, Skip, TransientError, outbox_deliver
from tests.notifications.helpers import deliver
from tests.notifications.recipes import account_email_recipe, email_delivery_recipe

pytestmark = pytest.mark.django_db


def _row(tenant, **fields):
    with tenant_context(tenant):
        return email_delivery_recipe.make(tenant=tenant, **fields)


def _fresh(tenant, row):
    with tenant_context(tenant):
        return EmailDelivery.objects.get(pk=row.pk)


class Steps:
    """prepare/send callables that record their calls and do what the test says."""

    def __init__(self, *, prepare_error=None, send_error=None, fields=None):
        self.prepared, self.sent = [], []
        self.prepare_error, self.send_error, self.fields = prepare_error, send_error, fields

    def prepare(self, row):
        self.prepared.append(row.pk)
        if self.prepare_error:
            raise self.prepare_error
        return f"message {row.pk}"

    def send(self, row, prepared):
        self.sent.append(prepared)
        if self.send_error:
            raise self.send_error
        return self.fields


def _deliver(tenant, row, steps):
    return outbox_deliver(
        EmailDelivery, row_id=row.pk, tenant_id=tenant.pk, prepare=steps.prepare, send=steps.send
    )


def test_a_delivered_row_is_sent_with_the_fields_send_returned(tenant):
    row = _row(tenant)
    steps = Steps(fields={"provider": "primary:smtp", "provider_message_id": "abc"})

    status = _deliver(tenant, row, steps)

    row = _fresh(tenant, row)
    assert status == "sent" == row.status
    assert steps.sent == [f"message {row.pk}"]
    assert (row.attempts, row.provider, row.provider_message_id) == (1, "primary:smtp", "abc")
    assert row.finished_at is not None and row.lease_until is None


@pytest.mark.parametrize("status", ["sent", "failed", "dead", "suppressed"])
def test_a_finished_row_is_not_delivered_again(tenant, status):
    row = _row(tenant, status=status, attempts=1)
    steps = Steps()

    assert _deliver(tenant, row, steps) is None

    assert steps.prepared == steps.sent == []
    assert _fresh(tenant, row).attempts == 1


def test_a_row_leased_by_a_live_worker_is_left_alone(tenant):
    row = _row(tenant, status="sending", lease_until=timezone.now() + timedelta(minutes=1))
    steps = Steps()

    assert _deliver(tenant, row, steps) is None
    assert steps.sent == []


def test_a_row_whose_lease_expired_is_taken_over(tenant):
    row = _row(
        tenant, status="sending", attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    steps = Steps()

    assert _deliver(tenant, row, steps) == "sent"
    assert _fresh(tenant, row).attempts == 2


def test_a_retry_not_due_yet_waits(tenant):
    row = _row(tenant, attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5))
    steps = Steps()

    assert _deliver(tenant, row, steps) is None
    assert steps.sent == []


def test_a_row_never_tried_goes_at_once_even_from_a_worker_whose_clock_is_behind(tenant):
    # Written by a web process whose clock is 30 s ahead of this worker's.
    row = _row(tenant, next_attempt_at=timezone.now() + timedelta(seconds=30))
    steps = Steps()

    assert _deliver(tenant, row, steps) == "sent"
    assert steps.sent == [f"message {row.pk}"]


def test_a_transient_failure_schedules_a_retry_with_backoff_and_jitter(tenant):
    row = _row(tenant)
    before = timezone.now()

    status = _deliver(tenant, row, Steps(send_error=TransientError("503 from the provider")))

    row = _fresh(tenant, row)
    assert status == "pending" == row.status
    assert row.last_error == "503 from the provider"
    # First retry: base 30 s, equal jitter → between 15 and 30 s from now.
    delay = (row.next_attempt_at - before).total_seconds()
    assert 15 <= delay <= 31
    assert row.lease_until is None and row.finished_at is None


def test_backoff_grows_exponentially_up_to_its_cap(monkeypatch):
    delays = [outbox.outbox_retry_delay(EmailDelivery(attempts=n)) for n in (1, 2, 3, 4, 5)]

    # base 30 s doubling: [15, 30], [30, 60], [60, 120], [120, 240], [240, 480]
    for attempts, delay in zip((1, 2, 3, 4, 5), delays, strict=True):
        full = 30 * 2 ** (attempts - 1)
        assert full / 2 <= delay <= full
    assert outbox.outbox_retry_delay(EmailDelivery(attempts=6)) is None  # used up
    monkeypatch.setattr(EmailDelivery, "outbox_max_attempts", 50)
    assert 1800 <= outbox.outbox_retry_delay(EmailDelivery(attempts=20)) <= 3600  # the cap


def test_a_table_schedule_wins_over_the_backoff(monkeypatch):
    monkeypatch.setattr(EmailDelivery, "outbox_schedule", (5, 300, 1800))
    monkeypatch.setattr(EmailDelivery, "outbox_max_attempts", 10)

    delays = [outbox.outbox_retry_delay(EmailDelivery(attempts=n)) for n in (1, 2, 3, 4)]

    assert 2.5 <= delays[0] <= 5
    assert 150 <= delays[1] <= 300
    assert 900 <= delays[2] <= 1800
    assert 900 <= delays[3] <= 1800  # past the schedule's end: its last step


def test_retry_after_is_honoured_when_longer_than_the_backoff(tenant):
    row = _row(tenant)
    before = timezone.now()

    _deliver(tenant, row, Steps(send_error=TransientError("429", retry_after=600)))

    assert (_fresh(tenant, row).next_attempt_at - before).total_seconds() >= 600


def test_the_last_transient_failure_leaves_the_row_dead_and_visible(tenant):
    row = _row(tenant, attempts=5)  # the 6th attempt is the last

    status = _deliver(tenant, row, Steps(send_error=TransientError("timed out")))

    row = _fresh(tenant, row)
    assert status == "dead" == row.status
    assert (row.attempts, row.last_error) == (6, "timed out")
    assert row.finished_at is not None


def test_six_transient_failures_in_a_row_end_dead(tenant):
    row = _row(tenant)
    statuses = []
    for _ in range(6):
        with tenant_context(tenant):
            EmailDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        statuses.append(_deliver(tenant, row, Steps(send_error=TimeoutError("read timeout"))))

    assert statuses == ["pending"] * 5 + ["dead"]
    assert _fresh(tenant, row).last_error == "TimeoutError: read timeout"


def test_a_permanent_failure_is_failed_at_once(tenant):
    row = _row(tenant)

    status = _deliver(tenant, row, Steps(send_error=PermanentError("550 no such user")))

    row = _fresh(tenant, row)
    assert status == "failed" == row.status
    assert (row.attempts, row.last_error) == (1, "550 no such user")


def test_a_skip_while_preparing_is_suppressed_and_nothing_is_sent(tenant):
    row = _row(tenant)
    steps = Steps(prepare_error=Skip("the address is suppressed (bounce)"))

    status = _deliver(tenant, row, steps)

    row = _fresh(tenant, row)
    assert status == "suppressed" == row.status
    assert row.last_error == "the address is suppressed (bounce)"
    assert steps.sent == []


def test_an_unexpected_error_is_logged_and_retried_not_lost(tenant, caplog):
    row = _row(tenant)
    caplog.set_level(logging.ERROR, logger="tenants.outbox")

    status = _deliver(tenant, row, Steps(prepare_error=KeyError("template")))

    assert status == "pending"
    assert _fresh(tenant, row).last_error == "KeyError: 'template'"
    assert [r.getMessage() for r in caplog.records] == ["outbox.delivery_error"]


def test_an_outcome_is_not_recorded_over_a_newer_claim(tenant, caplog):
    row = _row(tenant)
    caplog.set_level(logging.WARNING, logger="tenants.outbox")

    def send_slowly(claimed, prepared):
        # Meanwhile the lease expired and another worker claimed the row (attempt 2).
        with tenant_context(tenant):
            EmailDelivery.objects.filter(pk=claimed.pk).update(attempts=2)
        return {"provider": "late"}

    outbox_deliver(
        EmailDelivery,
        row_id=row.pk,
        tenant_id=tenant.pk,
        prepare=lambda r: "m",
        send=send_slowly,
    )

    row = _fresh(tenant, row)
    assert (row.status, row.provider) == ("sending", "")  # the newer claim's to record
    assert [r.getMessage() for r in caplog.records] == ["outbox.record_lost"]


def test_a_row_of_another_tenant_is_not_found(tenant, other_tenant):
    row = _row(other_tenant)
    steps = Steps()

    assert _deliver(tenant, row, steps) is None  # RLS and the manager: not visible

    assert steps.prepared == []
    assert _fresh(other_tenant, row).status == "pending"


def test_redeliver_puts_a_dead_row_back_in_line(tenant, django_capture_on_commit_callbacks):
    row = _row(tenant, status="dead", attempts=6, finished_at=timezone.now())

    with django_capture_on_commit_callbacks() as callbacks, tenant_context(tenant):
        outbox.outbox_redeliver(row)

    row = _fresh(tenant, row)
    assert (row.status, row.attempts, row.finished_at) == ("pending", 0, None)
    assert len(callbacks) == 1


# --- The sweep --------------------------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch):
    """The tasks the sweep sends (name, kwargs), instead of sending them."""
    calls = []
    monkeypatch.setattr(
        outbox,
        "enqueue_on_commit",
        lambda name, robust=False, **kwargs: calls.append((name, kwargs)),
    )
    return calls


def test_the_sweep_resends_due_rows_and_expired_leases_only(tenant, other_tenant, enqueued):
    now = timezone.now()
    lost = _row(tenant, created_at=now - timedelta(minutes=2), next_attempt_at=now)
    retry = _row(tenant, attempts=2, next_attempt_at=now - timedelta(seconds=1))
    orphaned = _row(tenant, status="sending", lease_until=now - timedelta(seconds=1))
    _row(tenant, next_attempt_at=now)  # written just now: its own message is on its way
    _row(tenant, next_attempt_at=now + timedelta(minutes=5))  # a retry not due yet
    _row(tenant, status="sending", lease_until=now + timedelta(minutes=1))  # a live worker
    for status in ("sent", "failed", "dead", "suppressed"):
        _row(tenant, status=status)
    _row(other_tenant, next_attempt_at=now - timedelta(seconds=1))  # not this tenant's

    with tenant_context(tenant):
        count = outbox.outbox_sweep(tenant=tenant)

    task = "notifications.tasks.email_delivery_send_task"
    assert sorted(enqueued, key=lambda c: c[1]["row_id"]) == [
        (task, {"row_id": row.pk, "tenant_id": tenant.pk}) for row in (lost, retry, orphaned)
    ]
    assert count >= 3  # and whatever the sweep hooks re-sent (none here)


def test_the_platform_sweep_resends_account_emails(db, enqueued):
    due = account_email_recipe.make(created_at=timezone.now() - timedelta(minutes=2))
    account_email_recipe.make(status="sent")

    outbox.outbox_sweep()

    assert enqueued == [("notifications.tasks.account_email_send_task", {"row_id": due.pk})]


def test_the_sweep_runs_the_registered_hooks(tenant, enqueued, monkeypatch):
    seen = []
    monkeypatch.setattr(outbox, "_sweep_hooks", [lambda *, tenant: seen.append(tenant) or 3])

    with tenant_context(tenant):
        count = outbox.outbox_sweep(tenant=tenant)

    assert seen == [tenant]
    assert count == 3


def test_the_outbox_tables_are_the_ones_with_a_task():
    assert outbox.outbox_models(tenant_owned=True) == [EmailDelivery, WebhookDelivery, CrmSync]
    assert outbox.outbox_models(tenant_owned=False) == [AccountEmail]


def test_finished_rows_past_retention_are_purged_and_the_rest_kept(tenant, other_tenant):
    long_ago = timezone.now() - timedelta(days=91)
    old = [_row(tenant, status=s, finished_at=long_ago) for s in ("sent", "dead", "suppressed")]
    kept = [
        _row(tenant, status="sent", finished_at=timezone.now() - timedelta(days=89)),
        _row(tenant, status="pending", created_at=long_ago),  # never finished: never purged
        _row(other_tenant, status="sent", finished_at=long_ago),  # another tenant's sweep
    ]

    with tenant_context(tenant):
        deleted = outbox.outbox_purge(tenant=tenant)

    assert deleted == len(old)
    with tenant_context(tenant):
        assert set(EmailDelivery.objects.values_list("pk", flat=True)) == {r.pk for r in kept[:2]}
    assert _fresh(other_tenant, kept[2]).status == "sent"


def test_platform_rows_are_kept_a_week(db):
    account_email_recipe.make(status="suppressed", finished_at=timezone.now() - timedelta(8))
    recent = account_email_recipe.make(status="sent", finished_at=timezone.now() - timedelta(6))

    outbox.outbox_purge()

    assert list(AccountEmail.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_row_whose_worker_died_after_its_last_attempt_ends_dead(tenant):
    row = _row(
        tenant, status="sending", attempts=6, lease_until=timezone.now() - timedelta(seconds=1)
    )
    steps = Steps()

    status = _deliver(tenant, row, steps)

    row = _fresh(tenant, row)
    assert status == "dead" == row.status
    assert row.last_error.startswith("the worker delivering it stopped mid-way")
    assert (row.attempts, steps.prepared) == (6, [])


def test_the_claim_counts_even_when_preparing_kills_the_worker(tenant):
    row = _row(tenant)

    class WorkerKilled(BaseException):  # what a SIGKILL looks like from here: nothing runs on
        pass

    def killed(claimed):
        raise WorkerKilled

    with pytest.raises(WorkerKilled):
        outbox_deliver(
            EmailDelivery, row_id=row.pk, tenant_id=tenant.pk, prepare=killed, send=Steps().send
        )

    row = _fresh(tenant, row)
    assert (row.status, row.attempts) == ("sending", 1)  # the lease will expire; counted


def test_a_deactivated_tenants_rows_end_suppressed(tenant, member, mailoutbox):
    person = member(Role.AGENT)
    row = _row(tenant, kind="member_added", recipient=person.user.email, recipient_user=person.user)
    tenant.is_active = False
    tenant.save(update_fields=["is_active"])

    assert deliver(row) == "suppressed"
    assert _fresh(tenant, row).last_error == "the tenant is deactivated"
    assert mailoutbox == []
