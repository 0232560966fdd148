"""Merges that are refused (itself, another tenant's, closed or merged, bad input, below
supervisor) change nothing; crossed merges at once do not deadlock."""

import pytest
from django.core.exceptions import ValidationError

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.concurrency import race
from tests.errors import field_errors
from tests.tickets.helpers import make_ticket
from tests.tickets.merge_helpers import merge_url, post
from tickets import services
from tickets.models import Attachment, Comment, Ticket, TicketEvent
from tickets.services.merge import MergeResult


def snapshot(tenant):
    """Everything a merge could touch in a tenant."""
    with tenant_context(tenant):
        return {
            "tickets": sorted(
                Ticket.objects.values_list(
                    "number", "status", "merged_into_id", "closed_at", "version"
                )
            ),
            "comments": sorted(Comment.objects.values_list("public_id", "ticket_id")),
            "events": sorted(TicketEvent.objects.values_list("public_id", "ticket_id")),
            "attachments": sorted(Attachment.objects.values_list("public_id", "ticket_id")),
        }


@pytest.fixture
def supervisor_client(member, api_client):
    return api_client(member(Role.SUPERVISOR))


# --- Refusals -------------------------------------------------------------------------------------


def test_merge_into_itself_is_400_and_changes_nothing(supervisor_client, tenant, pair):
    source = pair["source"]
    before = snapshot(tenant)

    response = post(supervisor_client, merge_url(tenant, source.number), {"into": source.number})

    assert response.status_code == 400
    assert "into" in field_errors(response)
    assert snapshot(tenant) == before


def test_merge_into_another_tenants_number_is_400_does_not_exist(
    supervisor_client, tenant, other_tenant, pair
):
    # The other tenant has a ticket with a number this tenant has never used.
    make_ticket(other_tenant, subject="Theirs 1")
    make_ticket(other_tenant, subject="Theirs 2")
    theirs = make_ticket(other_tenant, subject="Theirs 3")
    before = (snapshot(tenant), snapshot(other_tenant))

    response = post(
        supervisor_client, merge_url(tenant, pair["source"].number), {"into": theirs.number}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"into": [f"Ticket #{theirs.number} does not exist."]}
    assert (snapshot(tenant), snapshot(other_tenant)) == before


def test_merge_of_another_tenants_source_is_404_and_changes_nothing(
    supervisor_client, tenant, other_tenant, pair
):
    make_ticket(other_tenant, subject="Theirs 1")
    make_ticket(other_tenant, subject="Theirs 2")
    theirs = make_ticket(other_tenant, subject="Theirs 3")
    before = (snapshot(tenant), snapshot(other_tenant))

    foreign = post(supervisor_client, merge_url(tenant, theirs.number), {"into": 1})
    missing = post(supervisor_client, merge_url(tenant, 999), {"into": 1})

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not found.", "code": "not_found"}
    assert (snapshot(tenant), snapshot(other_tenant)) == before


def test_merge_through_another_tenants_path_is_404(supervisor_client, tenant, other_tenant):
    theirs, their_target = make_ticket(other_tenant), make_ticket(other_tenant)
    before = snapshot(other_tenant)

    response = post(
        supervisor_client, merge_url(other_tenant, theirs.number), {"into": their_target.number}
    )

    assert response.status_code == 404
    assert snapshot(other_tenant) == before


def test_service_refuses_tickets_of_two_tenants(tenant, other_tenant):
    mine, theirs = make_ticket(tenant), make_ticket(other_tenant)
    before = (snapshot(tenant), snapshot(other_tenant))

    with tenant_context(tenant), pytest.raises(ValidationError) as error:
        services.ticket_merge(tenant=tenant, actor=Actor(), ticket=mine, into=theirs)

    assert "into" in error.value.message_dict
    assert (snapshot(tenant), snapshot(other_tenant)) == before


@pytest.mark.parametrize(
    ("which", "expected_code"),
    [
        pytest.param("closed-source", "ticket_closed", id="closed-source"),
        pytest.param("merged-source", "ticket_already_merged", id="merged-source"),
        pytest.param("closed-target", "merge_target_closed", id="closed-target"),
        pytest.param("merged-target", "merge_target_closed", id="merged-target"),
    ],
)
def test_merge_with_a_closed_or_merged_ticket_is_409(
    supervisor_client, tenant, which, expected_code
):
    source, target, elsewhere = make_ticket(tenant), make_ticket(tenant), make_ticket(tenant)
    closed = source if which.endswith("source") else target
    with tenant_context(tenant):
        if which.startswith("closed"):
            services.ticket_update(tenant=tenant, actor=Actor(), ticket=closed, status="closed")
        else:
            services.ticket_merge(tenant=tenant, actor=Actor(), ticket=closed, into=elsewhere)
    before = snapshot(tenant)

    response = post(supervisor_client, merge_url(tenant, source.number), {"into": target.number})

    assert response.status_code == 409, response.content
    assert response.json()["code"] == expected_code
    assert snapshot(tenant) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "into", id="missing"),
        pytest.param({"into": None}, "into", id="null"),
        pytest.param({"into": "two"}, "into", id="not-a-number"),
        pytest.param({"into": 0}, "into", id="zero"),
        pytest.param({"into": -3}, "into", id="negative"),
        pytest.param({"into": 10**19}, "into", id="too-big"),
        pytest.param({"into": [2]}, "into", id="list"),
        pytest.param({"into": 2, "tenant": 1}, "tenant", id="unknown-field"),
    ],
)
def test_merge_bad_input_is_400_with_the_field_and_changes_nothing(
    supervisor_client, tenant, pair, body, field
):
    before = snapshot(tenant)

    response = post(supervisor_client, merge_url(tenant, pair["source"].number), body)

    assert response.status_code == 400
    assert field in field_errors(response)
    assert snapshot(tenant) == before


@pytest.mark.parametrize(
    ("role", "expected", "source_status"),
    [
        pytest.param(Role.OWNER, 200, "closed", id="owner"),
        pytest.param(Role.ADMIN, 200, "closed", id="admin"),
        pytest.param(Role.SUPERVISOR, 200, "closed", id="supervisor"),
        pytest.param(Role.AGENT, 403, "open", id="agent"),
        pytest.param(Role.VIEWER, 403, "open", id="viewer"),
    ],
)
def test_merge_needs_supervisor(member, api_client, tenant, role, expected, source_status):
    source, target = make_ticket(tenant), make_ticket(tenant)

    response = post(
        api_client(member(role)), merge_url(tenant, source.number), {"into": target.number}
    )

    assert response.status_code == expected
    with tenant_context(tenant):
        assert Ticket.objects.get(pk=source.pk).status == source_status


def test_agent_is_403_and_nothing_moves(member, api_client, tenant, pair):
    before = snapshot(tenant)

    response = post(
        api_client(member(Role.AGENT)),
        merge_url(tenant, pair["source"].number),
        {"into": pair["target"].number},
    )

    assert response.status_code == 403
    assert snapshot(tenant) == before


# --- Concurrency ----------------------------------------------------------------------------------


def _merge(tenant, source, target):
    def call():
        with tenant_context(tenant):
            return services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)

    return call


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_crossed_merges_at_once_do_not_deadlock_and_one_wins(tenant):
    first, second = make_ticket(tenant), make_ticket(tenant)

    results = race(_merge(tenant, first, second), _merge(tenant, second, first))

    assert sorted(type(r).__name__ for r in results) == ["MergeResult", "MergeTargetClosedError"]
    winner = next(r for r in results if isinstance(r, MergeResult))
    with tenant_context(tenant):
        stored = {t.pk: t for t in Ticket.objects.all()}
    assert stored[winner.source.pk].merged_into_id == winner.target.pk
    assert stored[winner.target.pk].status == "open"
    assert stored[winner.target.pk].merged_into_id is None
