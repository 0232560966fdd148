"""The export task: a TenantTask that needs tenant_id, idempotent on a done job, records
failures, and skips a job another worker holds."""

import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from tenants.context import TenantContextMissing, tenant_context
from tests.tickets.exports_helpers import SOMEONE, _jobs
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import export_job_recipe
from tickets.models import ExportJob
from tickets.tasks import ticket_export_task

# --- The task -------------------------------------------------------------------------------------


def test_task_refuses_to_run_without_tenant_id(tenant):
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant)

    with pytest.raises(TenantContextMissing):
        ticket_export_task(job_id=job.pk)

    assert [j.status for j in _jobs(tenant)] == ["pending"]


def test_task_is_a_tenant_task_and_runs_a_pending_job(tenant):
    make_ticket(tenant, subject="One", customer_email=SOMEONE)
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant)

    result = ticket_export_task.delay(tenant_id=tenant.pk, job_id=job.pk).get()

    (job,) = _jobs(tenant)
    assert result == "done"
    assert (job.row_count, job.started_at is not None, job.error) == (1, True, "")


def test_second_run_of_a_done_job_does_nothing(tenant):
    make_ticket(tenant, subject="One", customer_email=SOMEONE)
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant)
    ticket_export_task(tenant_id=tenant.pk, job_id=job.pk)
    (done,) = _jobs(tenant)
    content = default_storage.open(done.storage_key).read()
    make_ticket(tenant, subject="Two", customer_email=SOMEONE)

    result = ticket_export_task(tenant_id=tenant.pk, job_id=job.pk)

    (again,) = _jobs(tenant)
    assert result == "done"
    assert (again.row_count, again.started_at, again.finished_at) == (
        1,
        done.started_at,
        done.finished_at,
    )
    assert default_storage.open(again.storage_key).read() == content


def test_task_given_another_tenants_job_id_does_nothing(tenant, other_tenant):
    with tenant_context(other_tenant):
        foreign = export_job_recipe.make(tenant=other_tenant)

    result = ticket_export_task(tenant_id=tenant.pk, job_id=foreign.pk)

    assert result is None
    assert [j.status for j in _jobs(other_tenant)] == ["pending"]


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param({"status": ["bogus"]}, id="bad-value"),
        pytest.param({"search": "printer"}, id="unknown-filter"),
        pytest.param(["status"], id="not-an-object"),
    ],
)
def test_task_records_a_failure_on_the_job(filters, tenant):
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant, filters=filters)

    result = ticket_export_task(tenant_id=tenant.pk, job_id=job.pk)

    (failed,) = _jobs(tenant)
    assert result == "failed"
    assert failed.error == "The export failed: The stored filters are no longer valid."
    assert (failed.storage_key, failed.row_count, failed.finished_at is not None) == (
        "",
        None,
        True,
    )


def test_task_leaves_a_failed_job_failed(tenant):
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant, status="failed", error="Earlier failure")

    result = ticket_export_task(tenant_id=tenant.pk, job_id=job.pk)

    assert result == "failed"
    assert [(j.status, j.error) for j in _jobs(tenant)] == [("failed", "Earlier failure")]


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_task_skips_a_job_another_worker_holds(tenant):
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with tenant_context(tenant):
                ExportJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        result = ticket_export_task(tenant_id=tenant.pk, job_id=job.pk)
    finally:
        release.set()
        thread.join(timeout=30)

    assert result is None
    assert [j.status for j in _jobs(tenant)] == ["pending"]
