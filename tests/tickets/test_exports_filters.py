"""Export filters (the ticket list's), bad filter bodies refused without a job, API-key
exports and the audit entry of a request."""

import uuid

import pytest

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.errors import field_errors
from tests.tickets.exports_helpers import (
    SOMEONE,
    _download,
    _exports_url,
    _jobs,
    _request_export,
    _rows,
)
from tests.tickets.helpers import make_ticket

# --- Filters --------------------------------------------------------------------------------------


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
