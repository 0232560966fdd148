"""reports/summary/ as CSV through the export jobs (kind report_summary): the window resolved
at the request, the rows of the report, the refusals."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.tickets.exports_helpers import _download, _exports_url, _jobs
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.services.exports import REPORT_COLUMNS

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _post(client, tenant, capture, body):
    with capture(execute=True):
        return client.post(_exports_url(tenant), body, format="json")


def _csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_report_export_writes_the_reports_rows(
    tenant, other_tenant, sup_client, django_capture_on_commit_callbacks
):
    # given: two high tickets, one answered after 10 minutes and resolved after 30
    with time_machine.travel(T0, tick=False):
        answered = make_ticket(tenant, priority="high")
        make_ticket(tenant, priority="high")
        make_ticket(other_tenant, priority="low")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False), tenant_context(tenant):
        services.comment_create(tenant=tenant, actor=Actor(), ticket=answered, body="Hi")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False), tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=answered, status="resolved")

    # when
    created = _post(
        sup_client,
        tenant,
        django_capture_on_commit_callbacks,
        {
            "kind": "report_summary",
            "report": {"from": "2026-12-01", "to": "2026-12-01", "group_by": "priority"},
        },
    )
    job_id = created.json()["id"]
    download = _download(sup_client, tenant, job_id)

    # then
    assert created.status_code == 202
    assert (created.json()["kind"], created.json()["filters"]) == (
        "report_summary",
        {"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z", "group_by": "priority"},
    )
    assert sup_client.get(_exports_url(tenant, job_id)).json()["status"] == "done"
    assert download.status_code == 200
    assert f"report-summary-{job_id}.csv" in download["Content-Disposition"]
    rows = _csv(download)
    assert list(rows[0]) == list(REPORT_COLUMNS)
    by_group = {(row["row"], row["group"]): row for row in rows}
    high, total = by_group[("group", "high")], by_group[("total", "")]
    assert (high["created"], high["resolved"], high["backlog"]) == ("2", "1", "1")
    assert (high["first_response_median_minutes"], high["resolution_median_minutes"]) == (
        "10.0",
        "30.0",
    )
    assert (total["created"], total["label"]) == ("2", "Total")
    assert by_group[("group", "low")]["created"] == "0"
    sla = by_group[("priority_sla", "high")]
    assert (sla["resolution_sla_eligible"], sla["resolution_sla_met"], sla["created"]) == (
        "1",
        "1",
        "",
    )
    assert len(rows) == 4 + 1 + 4  # the priorities, the totals, the SLA per priority


def test_a_report_export_fixes_the_default_window_at_the_request(
    tenant, sup_client, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        created = _post(
            sup_client, tenant, django_capture_on_commit_callbacks, {"kind": "report_summary"}
        )

    assert created.status_code == 202
    assert created.json()["filters"] == {
        "from": "2026-11-01T09:00:00Z",
        "to": "2026-12-01T09:00:00Z",
        "group_by": None,
    }
    with tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="ticket_export.requested")
    assert entry.after["kind"] == "report_summary"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "report_summary", "report": {"from": "soon"}}, "report"),
        (
            {"kind": "report_summary", "report": {"to": "2026-01-01", "from": "2026-02-01"}},
            "report",
        ),
        ({"kind": "report_summary", "report": {"group_by": "month"}}, "report"),
        ({"kind": "report_summary", "report": {"tenant": 1}}, "report"),
        ({"kind": "report_summary", "filters": {"status": "open"}}, "filters"),
        ({"report": {"from": "2026-12-01"}}, "report"),
        ({"kind": "csv"}, "kind"),
    ],
)
def test_bad_report_exports_are_400s_and_make_no_job(
    tenant, sup_client, django_capture_on_commit_callbacks, body, field
):
    response = _post(sup_client, tenant, django_capture_on_commit_callbacks, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert _jobs(tenant) == []


def test_an_agent_cannot_export_a_report(
    tenant, member, api_client, django_capture_on_commit_callbacks
):
    agent_client = api_client(member(Role.AGENT))

    response = _post(
        agent_client, tenant, django_capture_on_commit_callbacks, {"kind": "report_summary"}
    )

    assert response.status_code == 403
    assert _jobs(tenant) == []
