"""Merging a ticket into another: what moves, what closes, who may, and what never crosses
tenants."""

import json

import pytest
from django.core.exceptions import ValidationError

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.concurrency import race
from tests.errors import field_errors
from tests.events import published as capture
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import attachment_recipe
from tickets import services
from tickets.models import Attachment, Comment, Ticket, TicketEvent
from tickets.services.merge import MergeResult


def merge_url(tenant, number) -> str:
    return f"/api/v1/t/{tenant.slug}/tickets/{number}/merge/"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


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


@pytest.fixture
def pair(tenant):
    """A source ticket with two comments, an attachment and history, and a target ticket
    with a comment of its own."""
    source = make_ticket(tenant, subject="Source")
    # The priority by ticket_update, not make_ticket(priority=...): the source's history row.
    with tenant_context(tenant):
        source = services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=source, priority="high"
        )
    target = make_ticket(tenant, subject="Target")
    with tenant_context(tenant):
        comments = [
            services.comment_create(tenant=tenant, actor=Actor(), ticket=source, body=body)
            for body in ("first", "second")
        ]
        own_comment = services.comment_create(
            tenant=tenant, actor=Actor(), ticket=target, body="target's own"
        )
        attachment = attachment_recipe.make(tenant=tenant, ticket=source)
        source_events = set(
            TicketEvent.objects.filter(ticket=source).values_list("public_id", flat=True)
        )
        source, target = Ticket.objects.get(pk=source.pk), Ticket.objects.get(pk=target.pk)
    return {
        "source": source,
        "target": target,
        "comments": {c.public_id for c in comments},
        "own_comment": own_comment.public_id,
        "attachment": attachment.public_id,
        "source_events": source_events,
    }


# --- Happy path -------------------------------------------------------------------------------


def test_merge_moves_comments_history_and_attachments_to_the_target(
    supervisor_client, tenant, pair
):
    source, target = pair["source"], pair["target"]

    response = post(supervisor_client, merge_url(tenant, source.number), {"into": target.number})

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        target_comments = set(
            Comment.objects.filter(ticket=target).values_list("public_id", flat=True)
        )
        assert target_comments == pair["comments"] | {pair["own_comment"]}
        assert not Comment.objects.filter(ticket=source).exists()
        assert Attachment.objects.get(public_id=pair["attachment"]).ticket_id == target.pk
        moved = set(
            TicketEvent.objects.filter(public_id__in=pair["source_events"]).values_list(
                "ticket_id", flat=True
            )
        )
        assert moved == {target.pk}


def test_merge_closes_the_source_with_a_pointer_and_leaves_the_target_open(
    supervisor_client, tenant, pair
):
    source, target = pair["source"], pair["target"]

    response = post(supervisor_client, merge_url(tenant, source.number), {"into": target.number})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["source"]["number"], body["target"]["number"]) == (source.number, target.number)
    assert body["source"]["status"] == "closed"
    assert body["source"]["merged_into"] == target.number
    assert body["source"]["closed_at"] is not None
    assert body["source"]["version"] == source.version + 1
    assert body["target"]["merged_into"] is None
    assert body["target"]["version"] == target.version + 1
    with tenant_context(tenant):
        after = Ticket.objects.get(pk=target.pk)
        closed = Ticket.objects.get(pk=source.pk)
    fields = ("subject", "status", "priority", "assignee_id", "tags", "closed_at", "merged_into_id")
    assert [getattr(after, f) for f in fields] == [getattr(target, f) for f in fields]
    assert (closed.status, closed.merged_into_id) == ("closed", target.pk)
    assert closed.closed_at is not None


def test_merge_writes_history_rows_on_both_tickets(member, api_client, tenant):
    supervisor = member(Role.SUPERVISOR)
    source, target = make_ticket(tenant, subject="Source"), make_ticket(tenant, subject="Target")

    response = post(
        api_client(supervisor), merge_url(tenant, source.number), {"into": target.number}
    )

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        on_source = list(
            TicketEvent.objects.filter(ticket=source)
            .order_by("id")
            .values_list("field", "old_value", "new_value", "actor_label")
        )
        merged_from = list(
            TicketEvent.objects.filter(ticket=target, field="merged_from").values_list(
                "old_value", "new_value", "actor_label"
            )
        )
    email = supervisor.user.email
    assert on_source == [
        ("status", "open", "closed", email),
        ("merged_into", None, target.number, email),
    ]
    assert merged_from == [(None, source.number, email)]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="open"),
        pytest.param({"status": "in_progress"}, id="in_progress"),
        pytest.param({"status": "pending"}, id="pending"),
        pytest.param({"status": "resolved"}, id="resolved"),
    ],
)
def test_merge_closes_the_source_from_any_status_but_closed(tenant, changes):
    # in_progress and pending cannot move to closed by hand; merging is its own transition.
    source, target = make_ticket(tenant, **changes), make_ticket(tenant)

    with tenant_context(tenant):
        result = services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)
        stored = Ticket.objects.get(pk=source.pk)

    assert (result.source.status, stored.status) == ("closed", "closed")
    assert stored.merged_into_id == target.pk
    assert stored.closed_at is not None
    assert stored.resolved_at is not None
    assert stored.sla_paused is False


def test_merge_publishes_ticket_merged_with_both_numbers(supervisor_client, tenant, pair):
    source, target = pair["source"], pair["target"]
    with capture("ticket.merged", "ticket.status_changed", "ticket.updated") as received:
        response = post(
            supervisor_client, merge_url(tenant, source.number), {"into": target.number}
        )

    assert response.status_code == 200, response.content
    assert [e.type for e in received] == [
        "ticket.merged",
        "ticket.updated",
        "ticket.status_changed",
    ]
    merged, _, status_changed = received
    assert merged.tenant_id == tenant.pk
    payload = merged.data
    assert payload["number"] == source.number
    assert payload["into"] == target.number
    assert payload["moved"] == {
        "comments": 2,
        "events": len(pair["source_events"]),
        "attachments": 1,
    }
    assert status_changed.data == {
        "number": source.number,
        "status": "closed",
        "previous_status": source.status,
        "priority": source.priority,
    }


def test_failed_merge_publishes_nothing(supervisor_client, tenant):
    source = make_ticket(tenant)
    with capture("ticket.merged") as received:
        response = post(
            supervisor_client, merge_url(tenant, source.number), {"into": source.number}
        )

    assert response.status_code == 400
    assert received == []


def test_merge_is_audit_logged(member, api_client, tenant):
    admin = member(Role.ADMIN)
    source, target = make_ticket(tenant), make_ticket(tenant)

    response = post(api_client(admin), merge_url(tenant, source.number), {"into": target.number})

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="ticket.merged")
    assert (entry.target_type, entry.target_id, entry.actor_label) == (
        "ticket",
        str(source.number),
        admin.user.email,
    )
    assert entry.after == {"status": "closed", "merged_into": target.number}


# --- Refusals ---------------------------------------------------------------------------------


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


# --- Concurrency ------------------------------------------------------------------------------


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
