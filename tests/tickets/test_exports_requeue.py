"""A lost export message is not a lost export: the request answers 202 with the broker down,
and the beat sweep sends the task again for jobs still pending after a while."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.context import tenant_context
from tenants.models import Role
from tenants.tasks import outbox_sweep_task, outbox_sweep_tenant_task
from tests.tickets.exports_helpers import SOMEONE, _exports_url, _jobs
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import export_job_recipe
from tickets.services.exports import export_jobs_requeue
from tickets.tasks import ticket_export_task

LONG_AGO = timedelta(minutes=10)  # past EXPORT_REQUEUE_AFTER_SECONDS (5 minutes)


def _broker_down(**kwargs):
    raise ConnectionError("broker unreachable")


@pytest.fixture
def sent(monkeypatch):
    """The export tasks sent (their kwargs), instead of running them."""
    calls = []
    monkeypatch.setattr(ticket_export_task, "delay", lambda **kwargs: calls.append(kwargs))
    return calls


def _job(tenant, *, status="pending", age=LONG_AGO):
    with tenant_context(tenant):
        return export_job_recipe.make(tenant=tenant, status=status, created_at=timezone.now() - age)


def test_an_export_is_accepted_while_the_broker_is_down(
    tenant, member, api_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(ticket_export_task, "delay", _broker_down)
    client = api_client(member(Role.SUPERVISOR))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_exports_url(tenant), {}, format="json")

    assert response.status_code == 202, response.content
    assert [job.status for job in _jobs(tenant)] == ["pending"]


def test_the_sweep_resends_only_jobs_pending_for_too_long(
    tenant, sent, django_capture_on_commit_callbacks
):
    stalled = _job(tenant)
    _job(tenant, age=timedelta(seconds=30))  # just requested: its message is on its way
    for status in ("done", "failed"):
        _job(tenant, status=status)

    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        count = export_jobs_requeue(tenant=tenant)

    assert count == 1
    assert sent == [{"tenant_id": tenant.pk, "job_id": stalled.pk}]


def test_the_sweep_sends_nothing_when_it_rolls_back(
    tenant, sent, django_capture_on_commit_callbacks
):
    _job(tenant)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), tenant_context(tenant):
            export_jobs_requeue(tenant=tenant)
            raise RuntimeError("roll back")

    assert callbacks == []
    assert sent == []


def test_a_lost_export_is_written_after_the_sweep(tenant, django_capture_on_commit_callbacks):
    make_ticket(tenant, subject="One", customer_email=SOMEONE)
    lost = _job(tenant)

    with django_capture_on_commit_callbacks(execute=True):
        outbox_sweep_tenant_task.delay(tenant_id=tenant.pk)  # the outbox sweep runs the hook

    (job,) = _jobs(tenant)
    assert (job.pk, job.status, job.row_count) == (lost.pk, "done", 1)


def test_the_sweep_fans_out_over_every_tenant_and_leaves_inactive_exports_alone(
    tenant, other_tenant, monkeypatch, sent
):
    other_tenant.is_active = False
    other_tenant.save(update_fields=["is_active"])
    _job(other_tenant)
    fanned = []
    monkeypatch.setattr(outbox_sweep_tenant_task, "delay", lambda **kwargs: fanned.append(kwargs))

    outbox_sweep_task()
    with tenant_context(other_tenant):
        requeued = export_jobs_requeue(tenant=other_tenant)

    # Every tenant's outbox is swept (a deactivated one's emails end suppressed there); its
    # export jobs wait until it is active again.
    assert fanned == [{"tenant_id": tenant.pk}, {"tenant_id": other_tenant.pk}]
    assert (requeued, sent) == (0, [])
