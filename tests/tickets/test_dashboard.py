"""The supervisor's dashboard on the admin index: figures against a hand-made queue, one tenant
only, a fixed number of queries."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import tenant_context
from tenants.models import Membership, Role, Tenant
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets.dashboard import dashboard_figures

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


_customers = itertools.count()


def _ticket(tenant, **fields):
    with tenant_context(tenant):
        n = next(_customers)
        requester = customer_recipe.make(tenant=tenant, email=f"c{n}@example.test")
        return ticket_recipe.make(tenant=tenant, number=50_000 + n, requester=requester, **fields)


@pytest.fixture
def queue(tenant, other_tenant, member):
    ana = member(Role.AGENT, user_fields={"name": "Ana", "email": "ana@example.test"})
    bo = member(Role.AGENT, user_fields={"name": "Bo", "email": "bo@example.test"})
    Membership.objects.filter(pk=bo.pk).update(is_available=False)
    member(Role.VIEWER)  # never an agent on the board
    Tenant.objects.filter(pk=tenant.pk).update(timezone="America/New_York")
    created = NOW - timedelta(days=1)
    _ticket(tenant, status="open", priority="high", created_at=created)  # unassigned
    _ticket(tenant, status="open", priority="high", assignee=ana.user, created_at=created)
    _ticket(tenant, status="pending", priority="low", assignee=ana.user, created_at=created)
    _ticket(tenant, status="in_progress", priority="critical", assignee=bo.user)
    # First responses 10, 20 and 60 minutes after creation, within the week: 15, 25 and 65
    # business minutes (the clock counts business time), median 25.
    for minutes in (10, 20, 60):
        _ticket(
            tenant,
            status="resolved",
            assignee=ana.user,
            created_at=created,
            first_response_at=created + timedelta(minutes=minutes),
            first_response_business_minutes=minutes + 5,  # business time, not wall clock
            resolved_at=created + timedelta(minutes=minutes * 3),
            resolution_business_minutes=minutes * 3,
        )
    # Answered long ago: outside the seven days.
    old = NOW - timedelta(days=30)
    _ticket(
        tenant,
        status="closed",
        created_at=old,
        first_response_at=old + timedelta(hours=9),
        first_response_business_minutes=540,
    )
    # Breached today in New York (00:00 there is 05:00 UTC) and yesterday there.
    _ticket(tenant, status="closed", resolution_breached_at=NOW - timedelta(hours=6))
    _ticket(tenant, status="closed", resolution_breached_at=NOW - timedelta(hours=8))
    _ticket(other_tenant, status="open", priority="critical")  # never counted here
    return {"ana": ana, "bo": bo}


def test_the_figures_match_the_queue(tenant, queue):
    with tenant_context(tenant):
        board = dashboard_figures(tenant=Tenant.objects.get(pk=tenant.pk), now=NOW)

    assert board.open_by_status["open"] == {"low": 0, "medium": 0, "high": 2, "critical": 0}
    assert board.open_by_status["pending"]["low"] == 1
    assert board.open_by_status["in_progress"]["critical"] == 1
    assert (board.open_total, board.unassigned, board.breached_today) == (4, 1, 1)
    assert [(a.name, a.available, a.open_tickets) for a in board.agents] == [
        ("Ana", True, 2),
        ("Bo", False, 1),
    ]
    assert board.first_response_median_minutes == 25.0
    assert board.resolution_median_minutes == 60.0


def test_the_figures_cost_the_same_queries_for_any_queue(tenant, queue):
    tenant = Tenant.objects.get(pk=tenant.pk)
    with tenant_context(tenant), CaptureQueriesContext(connection) as small:
        dashboard_figures(tenant=tenant, now=NOW)
    for _ in range(20):
        _ticket(tenant, status="open", assignee=queue["bo"].user)
    with tenant_context(tenant), CaptureQueriesContext(connection) as large:
        dashboard_figures(tenant=tenant, now=NOW)

    assert len(small) == len(large) == 5


def test_an_empty_tenant_has_no_medians(tenant):
    with tenant_context(tenant):
        board = dashboard_figures(tenant=tenant, now=NOW)

    assert (board.open_total, board.first_response_median_minutes) == (0, None)


def test_the_admin_index_shows_the_dashboard_to_supervisors(admin_login, member, queue):
    content = admin_login(member(Role.SUPERVISOR)).get("/admin/").content.decode()

    assert 'id="dashboard"' in content
    assert "Ana &lt;ana@example.test&gt;" in content
    assert "unassigned" in content
