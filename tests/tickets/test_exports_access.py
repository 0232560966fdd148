"""Who may request and read exports (supervisor+), tenant isolation of jobs and files, and the
download's 404/409 answers."""

import uuid

import pytest
from django.core.files.storage import default_storage

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.exports_helpers import SOMEONE, _download, _exports_url, _jobs, _request_export
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import export_job_recipe
from tickets import services

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected", "jobs"),
    [
        pytest.param(Role.OWNER, 202, 1, id="owner"),
        pytest.param(Role.ADMIN, 202, 1, id="admin"),
        pytest.param(Role.SUPERVISOR, 202, 1, id="supervisor"),
        pytest.param(Role.AGENT, 403, 0, id="agent"),
        pytest.param(Role.VIEWER, 403, 0, id="viewer"),
    ],
)
def test_only_supervisors_and_up_may_request_exports(
    role, expected, jobs, tenant, member, api_client, django_capture_on_commit_callbacks
):
    client = api_client(member(role))

    response = _request_export(client, tenant, django_capture_on_commit_callbacks)

    assert response.status_code == expected
    assert len(_jobs(tenant)) == jobs


@pytest.mark.parametrize("suffix", [(), ("download",)], ids=["detail", "download"])
def test_agent_may_not_read_an_export(suffix, tenant, agent, api_client):
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant)
    client = api_client(agent)

    listing = client.get(_exports_url(tenant))
    detail = client.get(_exports_url(tenant, job.public_id, *suffix))

    assert (listing.status_code, detail.status_code) == (403, 403)


@pytest.mark.parametrize("suffix", [(), ("download",)], ids=["detail", "download"])
def test_another_tenants_job_is_404_like_a_missing_one(suffix, tenant, other_tenant, sup_client):
    with tenant_context(other_tenant):
        foreign = services.export_job_create(tenant=other_tenant, actor=Actor(), filters={})
        services.ticket_export(tenant=other_tenant, job_id=foreign.pk)

    response = sup_client.get(_exports_url(tenant, foreign.public_id, *suffix))
    missing = sup_client.get(_exports_url(tenant, uuid.uuid4(), *suffix))

    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json() == NOT_FOUND


def test_list_shows_only_this_tenants_jobs(tenant, other_tenant, sup_client):
    with tenant_context(tenant):
        own = export_job_recipe.make(tenant=tenant, _quantity=2)
    with tenant_context(other_tenant):
        export_job_recipe.make(tenant=other_tenant, _quantity=3)

    response = sup_client.get(_exports_url(tenant))

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {str(j.public_id) for j in own}


@pytest.mark.parametrize(
    ("status", "code"),
    [
        pytest.param("pending", "export_not_ready", id="pending"),
        pytest.param("running", "export_not_ready", id="running"),
        pytest.param("failed", "export_failed", id="failed"),
    ],
)
def test_download_of_an_unfinished_export_is_409(status, code, tenant, sup_client):
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant, status=status)

    response = _download(sup_client, tenant, job.public_id)

    assert response.status_code == 409
    assert response.json()["code"] == code
    assert response.json()["extra"] == {"status": status}


def test_download_whose_file_is_gone_is_404_with_a_code(
    tenant, sup_client, django_capture_on_commit_callbacks
):
    job_id = _request_export(sup_client, tenant, django_capture_on_commit_callbacks).json()["id"]
    (job,) = _jobs(tenant)
    default_storage.delete(job.storage_key)

    response = _download(sup_client, tenant, job_id)

    assert response.status_code == 404
    assert response.json()["code"] == "export_file_missing"


def test_download_never_reads_a_key_outside_the_tenants_prefix(tenant, other_tenant, sup_client):
    make_ticket(other_tenant, subject="Secret", customer_email=SOMEONE)
    with tenant_context(other_tenant):
        foreign = services.export_job_create(tenant=other_tenant, actor=Actor(), filters={})
        foreign = services.ticket_export(tenant=other_tenant, job_id=foreign.pk)
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant, status="done", storage_key=foreign.storage_key)

    response = _download(sup_client, tenant, job.public_id)

    assert response.status_code == 404
    assert response.json()["code"] == "export_file_missing"


def test_download_ignores_a_csv_accept_header_for_errors(tenant, sup_client):
    with tenant_context(tenant):
        job = export_job_recipe.make(tenant=tenant)

    response = sup_client.get(
        _exports_url(tenant, job.public_id, "download"), HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
