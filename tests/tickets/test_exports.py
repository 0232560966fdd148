"""CSV exports of tickets: the job API (supervisor+), the task (TenantTask, idempotent, locked),
the file (exact content, filters, tenant isolation, formula-injection guard)."""

import csv
import io
import threading
import uuid

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from tenants import services as tenant_services
from tenants.access import Actor
from tenants.context import TenantContextMissing, tenant_context
from tenants.models import AuditLogEntry, Role
from tests.errors import field_errors
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import export_job_recipe
from tickets import services
from tickets.models import Customer, ExportJob
from tickets.tasks import export_files_expire_task, ticket_export_task

HEADER = (
    "number,subject,status,priority,category,channel,requester_email,assignee_email,tags,"
    "created_at,updated_at,resolved_at,closed_at"
)
NOT_FOUND = {"detail": "Not found.", "code": "not_found"}
# The requester of the tickets made here unless a test names one (make_ticket's default is
# asker@example.test; the file's rows show this one).
SOMEONE = "someone@example.test"


def _exports_url(tenant, *parts) -> str:
    return "/".join([f"/api/v1/t/{tenant.slug}/exports", *map(str, parts)]) + "/"


def _closed_via_resolved(tenant, **fields):
    """make_ticket moved to resolved, then closed by a second ticket_update."""
    # Not make_ticket(status="closed"), which closes straight from open: this ticket walks
    # open -> resolved -> closed (two status history rows, resolved_at set), as the CSV shows.
    ticket = make_ticket(tenant, status="resolved", **fields)
    with tenant_context(tenant):
        return services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="closed")


def _request_export(client, tenant, capture, filters=None):
    body = {} if filters is None else {"filters": filters}
    with capture(execute=True):
        response = client.post(_exports_url(tenant), body, format="json")
    return response


def _download(client, tenant, job_id):
    return client.get(_exports_url(tenant, job_id, "download"))


def _csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_csv_text(response))))[1:]


def _jobs(tenant) -> list[ExportJob]:
    with tenant_context(tenant):
        return list(ExportJob.objects.order_by("created_at", "id"))


@pytest.fixture
def supervisor(member):
    return member(Role.SUPERVISOR)


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def sup_client(api_client, supervisor):
    return api_client(supervisor)


# --- The file ---------------------------------------------------------------------------------


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


# --- Filters ----------------------------------------------------------------------------------


@pytest.fixture
def filter_world(tenant, other_tenant, member, supervisor, agent):
    """Four tickets in the tenant (numbers 1-4) and one in the other tenant."""
    stranger = member(Role.AGENT, tenant=other_tenant)
    urgent = make_ticket(
        tenant,
        subject="Urgent",
        priority="high",
        category="hardware",
        channel="email",
        tags=["billing"],
        customer_email="ann@example.test",
    )
    mine = make_ticket(
        tenant,
        subject="Mine",
        priority="low",
        channel="web",
        assignee=supervisor.user,
        customer_email=SOMEONE,
    )
    theirs = make_ticket(
        tenant, subject="Theirs", priority="critical", assignee=agent.user, customer_email=SOMEONE
    )
    done = make_ticket(
        tenant, status="resolved", subject="Done", tags=["billing", "vpn"], customer_email=SOMEONE
    )
    make_ticket(
        other_tenant, subject="Other", priority="high", tags=["billing"], customer_email=SOMEONE
    )
    return {
        "numbers": (urgent.number, mine.number, theirs.number, done.number),
        "ann": str(urgent.requester.public_id),
        "agent": str(agent.user.public_id),
        "stranger": str(stranger.user.public_id),
        "created": urgent.created_at,
    }


FILTER_CASES = [
    pytest.param(lambda w: {}, [1, 2, 3, 4], id="no-filters"),
    pytest.param(lambda w: {"status": "resolved"}, [4], id="status-string"),
    pytest.param(lambda w: {"status": ["open", "resolved"]}, [1, 2, 3, 4], id="status-list"),
    pytest.param(lambda w: {"priority": ["high", "critical"]}, [1, 3], id="priority"),
    pytest.param(lambda w: {"channel": "web"}, [2], id="channel"),
    pytest.param(lambda w: {"category": "hardware"}, [1], id="category"),
    pytest.param(lambda w: {"tag": "billing"}, [1, 4], id="tag"),
    pytest.param(lambda w: {"tag": "BILLING"}, [1, 4], id="tag-any-case"),
    pytest.param(lambda w: {"assignee": "none"}, [1, 4], id="unassigned"),
    pytest.param(lambda w: {"assignee": "me"}, [2], id="assignee-me"),
    pytest.param(lambda w: {"assignee": w["agent"]}, [3], id="assignee-id"),
    pytest.param(lambda w: {"assignee": w["stranger"]}, [], id="assignee-of-other-tenant"),
    pytest.param(lambda w: {"requester": w["ann"]}, [1], id="requester"),
    pytest.param(lambda w: {"requester": str(uuid.uuid4())}, [], id="requester-unknown"),
    pytest.param(lambda w: {"urgent": True}, [1], id="urgent"),
    pytest.param(lambda w: {"urgent": "false"}, [2, 3, 4], id="not-urgent"),
    pytest.param(lambda w: {"urgent": "TRUE"}, [1], id="urgent-upper-case-word"),
    pytest.param(lambda w: {"breached": True}, [], id="breached"),
    pytest.param(lambda w: {"escalated": False}, [1, 2, 3, 4], id="not-escalated"),
    pytest.param(
        lambda w: {"created_after": "2000-01-01T00:00:00Z", "priority": "low"},
        [2],
        id="created-after-and-priority",
    ),
    pytest.param(lambda w: {"created_before": w["created"].isoformat()}, [], id="created-before"),
]


@pytest.mark.parametrize(("make_filters", "expected"), FILTER_CASES)
def test_export_applies_the_ticket_list_filters(
    make_filters, expected, filter_world, tenant, sup_client, django_capture_on_commit_callbacks
):
    filters = make_filters(filter_world)

    response = _request_export(sup_client, tenant, django_capture_on_commit_callbacks, filters)
    rows = _rows(_download(sup_client, tenant, response.json()["id"]))

    assert response.status_code == 202
    assert [int(row[0]) for row in rows] == [filter_world["numbers"][n - 1] for n in expected]


def test_assignee_me_is_stored_as_the_requesting_users_id(
    tenant, supervisor, sup_client, django_capture_on_commit_callbacks
):
    response = _request_export(
        sup_client,
        tenant,
        django_capture_on_commit_callbacks,
        {"assignee": "me", "urgent": "true", "created_after": "2024-05-01T10:00:00+02:00"},
    )

    assert response.json()["filters"] == {
        "assignee": str(supervisor.user.public_id),
        "urgent": True,
        "created_after": "2024-05-01T08:00:00Z",
    }
    assert response.json()["requested_by"] == str(supervisor.user.public_id)


BAD_BODIES = [
    pytest.param({"filters": {"status": "nope"}}, ("filters", "status"), id="status"),
    pytest.param({"filters": {"priority": ["high", "urgent"]}}, ("filters", "priority"), id="prio"),
    pytest.param({"filters": {"status": []}}, ("filters", "status"), id="status-empty-list"),
    pytest.param({"filters": {"status": [1]}}, ("filters", "status"), id="status-not-string"),
    pytest.param({"filters": {"channel": "fax"}}, ("filters", "channel"), id="channel"),
    pytest.param(
        {"filters": {"created_after": "yesterday"}}, ("filters", "created_after"), id="date"
    ),
    pytest.param(
        {"filters": {"requester": "not-a-uuid"}}, ("filters", "requester"), id="requester"
    ),
    pytest.param(
        {"filters": {"created_after": "0001-01-01T00:00:00+14:00"}},
        ("filters", "created_after"),
        id="date-year-0-in-utc",
    ),
    pytest.param(
        {"filters": {"created_before": "2024-01-01T00:00:00-17:00"}},
        ("filters", "created_before"),
        id="date-offset-beyond-postgres",
    ),
    pytest.param({"filters": {"assignee": "someone"}}, ("filters", "assignee"), id="assignee"),
    pytest.param({"filters": {"assignee": "x" * 37}}, ("filters", "assignee"), id="assignee-long"),
    pytest.param({"filters": {"urgent": "maybe"}}, ("filters", "urgent"), id="urgent"),
    pytest.param({"filters": {"escalated": 2}}, ("filters", "escalated"), id="escalated-int"),
    pytest.param({"filters": {"category": 5}}, ("filters", "category"), id="category-int"),
    pytest.param({"filters": {"category": "c" * 65}}, ("filters", "category"), id="category-long"),
    pytest.param({"filters": {"tag": ["a", "b"]}}, ("filters", "tag"), id="tag-list"),
    pytest.param({"filters": {"search": "printer"}}, ("filters", "search"), id="unknown-filter"),
    pytest.param({"filters": {"tenant": 2}}, ("filters", "tenant"), id="tenant-filter"),
    pytest.param({"filters": "status=open"}, ("filters", "non_field_errors"), id="not-object"),
    pytest.param({"filters": {}, "tenant": 2}, ("tenant",), id="tenant-field"),
]


@pytest.mark.parametrize(("body", "error_path"), BAD_BODIES)
def test_bad_filters_are_400_with_a_field_error_and_create_no_job(
    body, error_path, tenant, sup_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = sup_client.post(_exports_url(tenant), body, format="json")

    errors = field_errors(response)
    for key in error_path:
        errors = errors[key]
    assert response.status_code == 400
    assert isinstance(errors, list) and errors
    assert _jobs(tenant) == []
    assert callbacks == []


def test_assignee_me_through_an_api_key_is_400(
    tenant, api_key_client, django_capture_on_commit_callbacks
):
    client, _ = api_key_client(tenant, Role.ADMIN)

    response = _request_export(
        client, tenant, django_capture_on_commit_callbacks, {"assignee": "me"}
    )

    assert response.status_code == 400
    assert list(field_errors(response)["filters"]) == ["assignee"]
    assert _jobs(tenant) == []


def test_api_key_can_export_and_the_job_has_no_requesting_user(
    tenant, api_key_client, django_capture_on_commit_callbacks
):
    client, _ = api_key_client(tenant, Role.ADMIN)
    make_ticket(tenant, subject="One", customer_email=SOMEONE)

    response = _request_export(client, tenant, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    assert response.json()["requested_by"] is None
    assert [job.status for job in _jobs(tenant)] == ["done"]


def test_requesting_an_export_is_audit_logged(
    tenant, supervisor, sup_client, django_capture_on_commit_callbacks
):
    response = _request_export(
        sup_client, tenant, django_capture_on_commit_callbacks, {"status": "open"}
    )

    with tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="ticket_export.requested")
    assert entry.target_id == response.json()["id"]
    assert entry.actor_user == supervisor.user
    assert entry.after == {"filters": {"status": ["open"]}}


# --- Access -----------------------------------------------------------------------------------


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


# --- The task ---------------------------------------------------------------------------------


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


# --- retention and erasure ---------------------------------------------------------------


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
