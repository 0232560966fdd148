"""The CSV export file: exact content of this tenant's tickets only, under the tenant's storage
prefix, formula-injection guard; files past retention, of deactivated tenants or of an erased
customer are removed."""

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from tenants import services as tenant_services
from tenants.access import Actor
from tenants.context import tenant_context
from tests.tickets.exports_helpers import (
    SOMEONE,
    _csv_text,
    _download,
    _exports_url,
    _jobs,
    _request_export,
    _rows,
)
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Customer, ExportJob
from tickets.tasks import export_files_expire_task

HEADER = (
    "number,subject,status,priority,category,channel,requester_email,assignee_email,tags,"
    "created_at,updated_at,resolved_at,closed_at"
)


def _closed_via_resolved(tenant, **fields):
    """make_ticket moved to resolved, then closed by a second ticket_update."""
    # Not make_ticket(status="closed"), which closes straight from open: this ticket walks
    # open -> resolved -> closed (two status history rows, resolved_at set), as the CSV shows.
    ticket = make_ticket(tenant, status="resolved", **fields)
    with tenant_context(tenant):
        return services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="closed")


# --- The file -------------------------------------------------------------------------------------


def test_export_job_runs_and_the_csv_holds_exactly_this_tenants_tickets(
    tenant, other_tenant, member, agent, sup_client, django_capture_on_commit_callbacks
):
    # given
    first = make_ticket(
        tenant,
        subject="Printer on fire",
        customer_email="Ann@Example.test",
        priority="high",
        category="hardware",
        channel="email",
        assignee=agent.user,
        tags=["printer", "office-2"],
    )
    second = _closed_via_resolved(tenant, subject="Password, reset", customer_email=SOMEONE)
    make_ticket(other_tenant, subject="Bravo's secret", customer_email="spy@example.test")
    api = {
        t.number: sup_client.get(f"/api/v1/t/{tenant.slug}/tickets/{t.number}/").json()
        for t in (first, second)
    }

    # when
    created = _request_export(sup_client, tenant, django_capture_on_commit_callbacks)
    job_id = created.json()["id"]
    status = sup_client.get(_exports_url(tenant, job_id))
    download = _download(sup_client, tenant, job_id)

    # then
    assert created.status_code == 202
    assert created.json()["status"] == "pending"
    assert created["Location"] == _exports_url(tenant, job_id)
    assert status.status_code == 200
    assert status.json()["status"] == "done"
    assert status.json()["row_count"] == 2
    assert status.json()["finished_at"] is not None
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == (
        f'attachment; filename="tickets-export-{job_id}.csv"'
    )
    a, b = api[first.number], api[second.number]
    assert _csv_text(download) == (
        f"{HEADER}\r\n"
        f"{first.number},Printer on fire,open,high,hardware,email,ann@example.test,"
        f"{agent.user.email},printer;office-2,{a['created_at']},{a['updated_at']},,\r\n"
        f'{second.number},"Password, reset",closed,medium,,api,someone@example.test,,,'
        f"{b['created_at']},{b['updated_at']},{b['resolved_at']},{b['closed_at']}\r\n"
    )


def test_export_file_lives_under_the_tenants_prefix(
    tenant, sup_client, django_capture_on_commit_callbacks
):
    make_ticket(tenant, subject="One", customer_email=SOMEONE)

    job_id = _request_export(sup_client, tenant, django_capture_on_commit_callbacks).json()["id"]

    (job,) = _jobs(tenant)
    assert job.storage_key == f"tenants/{tenant.pk}/exports/{job_id}.csv"
    assert default_storage.exists(job.storage_key)


def test_export_of_a_tenant_without_tickets_is_just_the_header(
    tenant, other_tenant, sup_client, django_capture_on_commit_callbacks
):
    make_ticket(other_tenant, subject="Not yours", customer_email=SOMEONE)

    job_id = _request_export(sup_client, tenant, django_capture_on_commit_callbacks).json()["id"]
    download = _download(sup_client, tenant, job_id)

    assert _csv_text(download) == f"{HEADER}\r\n"
    assert sup_client.get(_exports_url(tenant, job_id)).json()["row_count"] == 0


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("=1+2", "'=1+2", id="equals"),
        pytest.param("+SUM(A1:A9)", "'+SUM(A1:A9)", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\t=cmd", "'\t=cmd", id="tab"),
        pytest.param("a=b", "a=b", id="equals-inside-is-kept"),
        pytest.param("1-2", "1-2", id="minus-inside-is-kept"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(
    value, written, tenant, sup_client, django_capture_on_commit_callbacks
):
    make_ticket(tenant, subject=value, category=value, customer_email=SOMEONE)

    job_id = _request_export(sup_client, tenant, django_capture_on_commit_callbacks).json()["id"]
    (row,) = _rows(_download(sup_client, tenant, job_id))

    assert (row[1], row[4]) == (written, written)


def test_requester_email_starting_with_a_formula_character_is_quoted(
    tenant, sup_client, django_capture_on_commit_callbacks
):
    make_ticket(tenant, subject="Hi", customer_email="=cmd@example.test")

    job_id = _request_export(sup_client, tenant, django_capture_on_commit_callbacks).json()["id"]
    (row,) = _rows(_download(sup_client, tenant, job_id))

    assert row[6] == "'=cmd@example.test"


# --- retention and erasure ------------------------------------------------------------------------


def _finished_export(tenant, django_capture_on_commit_callbacks):
    with tenant_context(tenant):
        services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Exported", customer_email="x@example.test"
        )
        job = services.export_job_create(tenant=tenant, actor=Actor(), filters={})
        services.ticket_export(tenant=tenant, job_id=job.pk)
        job.refresh_from_db()
    return job


def test_export_files_past_retention_are_deleted_and_download_says_so(
    tenant, member, api_client, settings, django_capture_on_commit_callbacks
):
    old = _finished_export(tenant, django_capture_on_commit_callbacks)
    fresh = _finished_export(tenant, django_capture_on_commit_callbacks)
    old_key = old.storage_key
    with tenant_context(tenant):
        ExportJob.objects.filter(pk=old.pk).update(
            finished_at=timezone.now() - timezone.timedelta(days=settings.EXPORT_RETENTION_DAYS + 1)
        )

    with django_capture_on_commit_callbacks(execute=True):
        fanned_out = export_files_expire_task.delay().get()
    client = api_client(member("supervisor"))
    base = f"/api/v1/t/{tenant.slug}/exports"

    assert fanned_out >= 1
    assert not default_storage.exists(old_key)
    assert default_storage.exists(fresh.storage_key)
    assert client.get(f"{base}/{old.public_id}/download/").status_code == 404
    assert client.get(f"{base}/{fresh.public_id}/download/").status_code == 200


def test_export_expiry_covers_deactivated_tenants(
    tenant, other_tenant, settings, django_capture_on_commit_callbacks
):
    stale = {
        t.pk: _finished_export(t, django_capture_on_commit_callbacks)
        for t in (tenant, other_tenant)
    }
    for t, job in ((tenant, stale[tenant.pk]), (other_tenant, stale[other_tenant.pk])):
        with tenant_context(t):
            ExportJob.objects.filter(pk=job.pk).update(
                finished_at=timezone.now()
                - timezone.timedelta(days=settings.EXPORT_RETENTION_DAYS + 1)
            )
    tenant_services.tenant_delete(tenant=other_tenant, actor=Actor())

    with django_capture_on_commit_callbacks(execute=True):
        fanned_out = export_files_expire_task.delay().get()

    assert fanned_out == 2
    assert not default_storage.exists(stale[tenant.pk].storage_key)
    assert not default_storage.exists(stale[other_tenant.pk].storage_key)


def test_erasing_a_customer_removes_finished_export_files(
    tenant, member, api_client, django_capture_on_commit_callbacks
):

    job = _finished_export(tenant, django_capture_on_commit_callbacks)
    client = api_client(member("admin"))
    with tenant_context(tenant):
        customer = Customer.objects.get(email="x@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        erased = client.post(f"/api/v1/t/{tenant.slug}/customers/{customer.public_id}/erase/")

    assert erased.status_code == 200
    assert not default_storage.exists(job.storage_key)
